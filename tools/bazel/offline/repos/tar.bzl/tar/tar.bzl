"""Stand-in for tar.bzl 0.10.2's tar() macro and tar_rule.

The macro makes the same targets as the real one and passes attributes on the
same way: `<name>_mtree` (mtree_spec) gets the tar's common attributes
(testonly, tags, visibility, ...); `<name>__mutated` gets only what `mutate(...)`
was given, as partial.call does in tar.bzl 0.10.2. The archive is written by
mktar.py (Python's tarfile) instead of the hermetic bsdtar.
"""

load(":common.bzl", "propagate_common_rule_attributes")
load(":mtree.bzl", "mtree_mutate", "mtree_spec")

def _tar_rule_impl(ctx):
    out = ctx.actions.declare_file(ctx.attr.name + ".tar")
    inputs = depset(
        ctx.files.srcs + [ctx.file.mtree],
        transitive = [s[DefaultInfo].default_runfiles.files for s in ctx.attr.srcs],
    )
    ctx.actions.run(
        executable = ctx.attr._python,
        arguments = [ctx.file._mktar.path, ctx.file.mtree.path, out.path],
        inputs = depset([ctx.file._mktar], transitive = [inputs]),
        outputs = [out],
        mnemonic = "Tar",
        # Unsandboxed, so that a declared symlink is seen as the symlink it is
        # (a sandbox would present every input as a symlink).
        execution_requirements = {"no-sandbox": "1"},
    )
    return [DefaultInfo(files = depset([out]))]

tar_rule = rule(
    implementation = _tar_rule_impl,
    attrs = {
        "mtree": attr.label(allow_single_file = True, mandatory = True),
        "srcs": attr.label_list(allow_files = True),
        "_mktar": attr.label(default = "//tar:mktar.py", allow_single_file = True),
        "_python": attr.string(default = "/usr/bin/python3"),
    },
)

def tar(name, mtree = "auto", mutate = None, include_runfiles = None, **kwargs):
    """tar.bzl 0.10.2's tar macro (mtree = "auto" only).

    Args:
      name: the tar target.
      mtree: only "auto".
      mutate: a mutate(...) partial.
      include_runfiles: pack the runfiles of executables in srcs (default True).
      **kwargs: srcs and common attributes, for tar_rule.
    """
    if mtree != "auto":
        fail("the offline tar stand-in models only mtree = \"auto\"")
    mtree_target = "{}_mtree".format(name)
    mtree_spec(
        name = mtree_target,
        srcs = kwargs.get("srcs", []),
        out = "{}.txt".format(mtree_target),
        include_runfiles = True if include_runfiles == None else include_runfiles,
        **propagate_common_rule_attributes(kwargs)
    )
    if mutate:
        mutated = "{}__mutated".format(name)
        mtree_mutate(name = mutated, mtree = mtree_target, **mutate.partial_kwargs)
        mtree_target = mutated
    tar_rule(name = name, mtree = mtree_target, **kwargs)
