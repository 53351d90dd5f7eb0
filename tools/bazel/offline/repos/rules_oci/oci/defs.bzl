"""Stand-ins for rules_oci's oci_image and oci_load, built on the local Docker engine.

rules_oci assembles OCI layouts with crane/regctl binaries it downloads; offline
there are none. Here `oci_image` produces a Docker build context (a Dockerfile
`FROM <base> / ADD <layer>.tar / ...` plus the layer tars, the real layer
contents) and `oci_load` is a `bazel run` target that builds it with
`docker build --network none`. Same attributes, same targets, not the same
artifact: the real oci_image output is an OCI image layout.
"""

def _oci_image_impl(ctx):
    lines = ["FROM __BASE__"]
    layers = []
    for i, tar in enumerate(ctx.files.tars):
        layers.append(tar)
        lines.append("ADD layer%d.tar /" % i)
    for key, value in sorted(ctx.attr.env.items()):
        lines.append("ENV %s=%s" % (key, json.encode(value)))
    for key, value in sorted(ctx.attr.labels.items()):
        lines.append("LABEL %s=%s" % (key, json.encode(value)))
    if ctx.attr.workdir:
        lines.append("WORKDIR " + ctx.attr.workdir)
    if ctx.attr.entrypoint:
        lines.append("ENTRYPOINT " + json.encode(ctx.attr.entrypoint))
    if ctx.attr.cmd:
        lines.append("CMD " + json.encode(ctx.attr.cmd))
    dockerfile = ctx.actions.declare_file(ctx.attr.name + ".Dockerfile.in")
    ctx.actions.write(dockerfile, "\n".join(lines) + "\n")

    out = ctx.actions.declare_file(ctx.attr.name + ".context.tar")
    copies = " && ".join(['cp "%s" "$dir/layer%d.tar"' % (t.path, i) for i, t in enumerate(layers)]) or "true"
    ctx.actions.run_shell(
        inputs = [dockerfile, ctx.file.base] + layers,
        outputs = [out],
        command = """set -e
dir="{out}.d"; rm -rf "$dir"; mkdir -p "$dir"
sed "s|__BASE__|$(cat {base})|" {dockerfile} > "$dir/Dockerfile"
{copies}
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf {out} .
rm -rf "$dir"
""".format(out = out.path, base = ctx.file.base.path, dockerfile = dockerfile.path, copies = copies),
        mnemonic = "OciImageContext",
    )
    return [DefaultInfo(files = depset([out]))]

oci_image = rule(
    implementation = _oci_image_impl,
    attrs = {
        "base": attr.label(allow_single_file = True, mandatory = True),
        "cmd": attr.string_list(),
        "entrypoint": attr.string_list(),
        "env": attr.string_dict(),
        "labels": attr.string_dict(),
        "tars": attr.label_list(allow_files = [".tar"]),
        "workdir": attr.string(),
    },
)

def _oci_load_impl(ctx):
    context = ctx.file.image
    tags = " ".join(["-t %s" % t for t in ctx.attr.repo_tags])
    script = ctx.actions.declare_file(ctx.attr.name + ".sh")
    ctx.actions.write(script, """#!/usr/bin/env bash
set -euo pipefail
# `bazel run` starts in the runfiles root, where this is the context's path.
exec docker build --network none {tags} - < "{context}"
""".format(tags = tags, context = context.short_path), is_executable = True)
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [context]),
    )]

oci_load = rule(
    implementation = _oci_load_impl,
    executable = True,
    attrs = {
        "image": attr.label(allow_single_file = True, mandatory = True),
        "repo_tags": attr.string_list(),
    },
)
