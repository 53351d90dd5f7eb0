"""Stand-in for tar.bzl's tar(): a reproducible tar of files and their runfiles.

Like the real rule, an executable in srcs brings its runfiles tree as
`<exe>.runfiles/<repository>/...`. Written with Python's tarfile instead of the
hermetic bsdtar the real ruleset downloads.
"""

def _runfiles_path(ctx, file):
    # External files have short paths like ../repo/path.
    if file.short_path.startswith("../"):
        return file.short_path[len("../"):]
    return ctx.workspace_name + "/" + file.short_path

def _tar_impl(ctx):
    prefix = ctx.attr.package_dir + "/" if ctx.attr.package_dir else ""
    entries = {}
    for src in ctx.attr.srcs:
        info = src[DefaultInfo]
        for f in info.files.to_list():
            entries[prefix + f.short_path] = f
        exe = info.files_to_run.executable
        if exe:
            for f in info.default_runfiles.files.to_list():
                entries[prefix + exe.short_path + ".runfiles/" + _runfiles_path(ctx, f)] = f
    manifest = ctx.actions.declare_file(ctx.attr.name + ".manifest")
    ctx.actions.write(manifest, "".join(["%s\t%s\n" % (d, f.path) for d, f in sorted(entries.items())]))
    out = ctx.actions.declare_file(ctx.attr.name + ".tar")
    ctx.actions.run(
        executable = ctx.executable._mktar,
        arguments = [manifest.path, out.path],
        inputs = [manifest] + entries.values(),
        outputs = [out],
        mnemonic = "Tar",
    )
    return [DefaultInfo(files = depset([out]))]

_tar = rule(
    implementation = _tar_impl,
    attrs = {
        "package_dir": attr.string(),
        "srcs": attr.label_list(allow_files = True),
        "_mktar": attr.label(default = "//tar:mktar", executable = True, cfg = "exec"),
    },
)

def tar(name, srcs, mutate = None, **kwargs):
    _tar(name = name, srcs = srcs, package_dir = mutate.package_dir if mutate else "", **kwargs)
