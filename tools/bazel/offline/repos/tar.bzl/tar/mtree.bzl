"""Stand-ins for tar.bzl 0.10.2's mtree_spec, mtree_mutate and mutate().

Same targets and outputs as the real ones; the specification lines are
`PATH type=file content=FILE`, as tar.bzl 0.10.2 writes them for every file and
runfile (a declared symlink included: see tar.bzl). mtree_mutate applies
package_dir (the real one runs an awk script with gawk, which it builds from
source: the building machine needs a C toolchain).
"""

def _runfiles_path(ctx, file):
    if file.short_path.startswith("../"):
        return file.short_path[len("../"):]
    return ctx.workspace_name + "/" + file.short_path

def _mtree_spec_impl(ctx):
    entries = {}
    for src in ctx.attr.srcs:
        info = src[DefaultInfo]
        for f in info.files.to_list():
            entries[f.short_path] = f
        exe = info.files_to_run.executable
        if exe and ctx.attr.include_runfiles:
            for f in info.default_runfiles.files.to_list():
                entries[exe.short_path + ".runfiles/" + _runfiles_path(ctx, f)] = f
    ctx.actions.write(ctx.outputs.out, "#mtree\n" + "".join([
        "%s type=file content=%s\n" % (dest, f.path)
        for dest, f in sorted(entries.items())
    ]))
    return [DefaultInfo(files = depset([ctx.outputs.out]))]

mtree_spec = rule(
    implementation = _mtree_spec_impl,
    attrs = {
        "include_runfiles": attr.bool(default = True),
        "out": attr.output(),
        "srcs": attr.label_list(allow_files = True),
    },
)

def _mtree_mutate_impl(ctx):
    if ctx.attr.preserve_symlinks:
        fail("preserve_symlinks is not modelled by the offline stand-in")
    out = ctx.actions.declare_file(ctx.attr.name + ".mtree")
    prefix = ctx.attr.package_dir.strip("/")
    ctx.actions.run_shell(
        inputs = [ctx.file.mtree],
        outputs = [out],
        command = "awk -v p=\"$1\" '/^#/ {print; next} {print (p == \"\" ? \"\" : p \"/\") $0}' \"$2\" > \"$3\"",
        arguments = [prefix, ctx.file.mtree.path, out.path],
        mnemonic = "MtreeMutate",
    )
    return [DefaultInfo(files = depset([out]))]

_mtree_mutate = rule(
    implementation = _mtree_mutate_impl,
    attrs = {
        "mtree": attr.label(allow_single_file = True, mandatory = True),
        "package_dir": attr.string(),
        "preserve_symlinks": attr.bool(),
        "srcs": attr.label_list(allow_files = True),
    },
)

_MUTATE_ARGS = ["package_dir", "preserve_symlinks", "srcs"]

def mtree_mutate(name, mtree, srcs = None, preserve_symlinks = False, package_dir = None, **kwargs):
    """mtree_mutate: package_dir applied to every path of `mtree`.

    Args:
      name: the target.
      mtree: the specification to change.
      srcs: files whose symlinks preserve_symlinks resolves.
      preserve_symlinks: not modelled offline (fails).
      package_dir: prefix for every path.
      **kwargs: common attributes.
    """
    if preserve_symlinks and not srcs:
        fail("preserve_symlinks requires srcs to be set in order to resolve symlinks")
    _mtree_mutate(
        name = name,
        mtree = mtree,
        srcs = srcs or [],
        preserve_symlinks = preserve_symlinks,
        package_dir = package_dir or "",
        **kwargs
    )

def mutate(**kwargs):
    """A partially applied mtree_mutate (tar.bzl: partial.make(mtree_mutate, **kwargs)).

    Args:
      **kwargs: mtree_mutate's arguments; only these reach `<name>__mutated`.

    Returns:
      the partial, for tar(mutate = ...).
    """
    for key in kwargs:
        if key not in _MUTATE_ARGS and key not in ["testonly", "tags", "visibility"]:
            fail("mutate(%s = ...): not modelled by the offline tar.bzl stand-in" % key)
    return struct(partial_kwargs = kwargs)
