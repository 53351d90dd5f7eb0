"""Stand-in for oci.pull: names an image already in the local Docker engine.

No registry is reachable offline, so instead of downloading layers the
repository only records the tag of a locally built image (`make images`).
`oci_image` stand-ins write `FROM <tag>`; `oci_load` builds on top of it.
"""

def _oci_local_image_impl(rctx):
    rctx.file("WORKSPACE", "")
    rctx.file("image.txt", rctx.attr.image + "\n")
    rctx.file("BUILD.bazel", """filegroup(
    name = "{name}",
    srcs = ["image.txt"],
    visibility = ["//visibility:public"],
)
""".format(name = rctx.name))

oci_local_image = repository_rule(
    implementation = _oci_local_image_impl,
    attrs = {"image": attr.string(mandatory = True)},
)
