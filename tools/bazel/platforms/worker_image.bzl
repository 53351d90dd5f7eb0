"""The remote workers' container image, from TALK_REMOTE_WORKER_IMAGE.

A platform's own exec_properties win over --remote_default_exec_properties, so an
image fixed in the platform could never be replaced by CI. Instead this
repository reads the image from the environment Bazel runs in (set it with
`--repo_env=TALK_REMOTE_WORKER_IMAGE=docker://IMAGE@sha256:...`) and the
platform adds `container-image` only when it is set.
"""

_VAR = "TALK_REMOTE_WORKER_IMAGE"

def _worker_image_impl(rctx):
    getenv = getattr(rctx, "getenv", None)  # Bazel 7.1+; the offline Bazel 4 lacks it
    image = (getenv(_VAR) if getenv else rctx.os.environ.get(_VAR)) or ""
    if image and not image.startswith("docker://"):
        fail("%s must look like docker://IMAGE@sha256:DIGEST, got %r" % (_VAR, image))
    props = {"container-image": image} if image else {}
    rctx.file("BUILD.bazel", "")
    rctx.file("WORKSPACE", "")
    rctx.file("defs.bzl", "WORKER_IMAGE_EXEC_PROPERTIES = %r\n" % props)

worker_image = repository_rule(
    implementation = _worker_image_impl,
    environ = [_VAR],
)
