"""Offline stand-ins for rules_python 2.3's py_binary and py_test.

They build what the real rules build on Linux, so that what breaks there breaks
here (see tools/bazel/offline/README.md):
- a launcher chosen by --@rules_python//python/config_settings:bootstrap_impl:
  `system_python` (the default): a Python script starting `#!/usr/bin/env python3`,
  so whatever `python3` comes first on PATH runs it; `script`: a bash stage 1;
- a venv per binary, `_<name>.venv/` with an empty pyvenv.cfg, `bin/python3`
  and `lib/python3.11/site-packages/bazel.pth`, which puts the runfiles
  repositories and the deps' `imports` on sys.path. With
  venvs_use_declare_symlink=yes (the default) `bin/python3` is a declared
  symlink to the interpreter; with `no` it is a plain file and the launcher
  makes the venv at run time in a temporary directory;
- runfiles: the sources and data of the target and its deps, nothing else.
  The interpreter is the toolchain's (@python_3_11), never a virtualenv's, so
  the only third-party code a program sees is what its @pypi deps bring.
"""

load("@python_3_11//:defs.bzl", "INTERPRETER", "PYTHON_VERSION")
load("//python/private:flags.bzl", "FlagInfo")

def _runfiles_path(ctx, file):
    if file.short_path.startswith("../"):
        return file.short_path[len("../"):]
    return ctx.workspace_name + "/" + file.short_path

def _main_file(ctx):
    if ctx.file.main:
        return ctx.file.main
    wanted = ctx.label.name + ".py"
    for src in ctx.files.srcs:
        if src.basename == wanted:
            return src
    fail("%s: no main given and no %s in srcs" % (ctx.label, wanted))

def _venv(ctx, imports, declare_symlink):
    prefix = "_%s.venv/" % ctx.label.name
    cfg = ctx.actions.declare_file(prefix + "pyvenv.cfg")
    ctx.actions.write(cfg, "")
    if declare_symlink:
        python = ctx.actions.declare_symlink(prefix + "bin/python3")
        ctx.actions.symlink(output = python, target_path = INTERPRETER)
    else:
        python = ctx.actions.declare_file(prefix + "bin/python3")
        ctx.actions.write(python, "actual:" + INTERPRETER)
    site = prefix + "lib/python%s/site-packages/" % PYTHON_VERSION
    pth = ctx.actions.declare_file(site + "bazel.pth")
    ctx.actions.write(pth, "import _bazel_site_init\n")
    site_init = ctx.actions.declare_file(site + "_bazel_site_init.py")
    ctx.actions.expand_template(
        template = ctx.file._site_init,
        output = site_init,
        substitutions = {
            "%imports%": ":".join(imports),
            "%site_init_runfiles_path%": _runfiles_path(ctx, site_init),
        },
    )
    return python, [cfg, pth, site_init]

def _py_executable_impl(ctx):
    main = _main_file(ctx)
    bootstrap = ctx.attr._bootstrap_impl[FlagInfo].value
    declare_symlink = ctx.attr._venvs_use_declare_symlink[FlagInfo].value == "yes"
    deps = ctx.attr.deps
    imports = depset(transitive = [d[PyInfo].imports for d in deps if PyInfo in d]).to_list()
    python, venv_files = _venv(ctx, imports, declare_symlink)

    stage2 = ctx.actions.declare_file("_%s_stage2_bootstrap.py" % ctx.label.name)
    ctx.actions.expand_template(
        template = ctx.file._stage2,
        output = stage2,
        substitutions = {"%main%": _runfiles_path(ctx, main)},
    )
    launcher = ctx.actions.declare_file(ctx.label.name)
    subs = {
        "%python_binary%": _runfiles_path(ctx, python),
        "%python_binary_actual%": INTERPRETER,
        "%recreate_venv_at_runtime%": "0" if declare_symlink else "1",
        "%stage2_bootstrap%": _runfiles_path(ctx, stage2),
    }
    template = ctx.file._stage1 if bootstrap == "script" else ctx.file._system_python_stub
    ctx.actions.expand_template(template = template, output = launcher, substitutions = subs, is_executable = True)

    runfiles = ctx.runfiles(files = ctx.files.srcs + ctx.files.data + venv_files + [python, stage2, main])
    for target in deps + ctx.attr.data:
        runfiles = runfiles.merge(target[DefaultInfo].default_runfiles)
    providers = [
        DefaultInfo(executable = launcher, files = depset([launcher]), runfiles = runfiles),
        PyInfo(
            transitive_sources = depset(
                [f for f in ctx.files.srcs if f.extension == "py"],
                transitive = [d[PyInfo].transitive_sources for d in deps if PyInfo in d],
            ),
            imports = depset(imports),
        ),
    ]
    if ctx.attr.env:
        providers.append(testing.TestEnvironment(ctx.attr.env))
    return providers

_ATTRS = {
    "data": attr.label_list(allow_files = True),
    "deps": attr.label_list(providers = [[PyInfo]]),
    "env": attr.string_dict(),
    "main": attr.label(allow_single_file = [".py"]),
    "python_version": attr.string(values = ["PY3"], default = "PY3"),
    "srcs": attr.label_list(allow_files = [".py"]),
    "_bootstrap_impl": attr.label(default = "//python/config_settings:bootstrap_impl"),
    "_site_init": attr.label(default = "//python/private:site_init.py.tmpl", allow_single_file = True),
    "_stage1": attr.label(default = "//python/private:stage1.sh.tmpl", allow_single_file = True),
    "_stage2": attr.label(default = "//python/private:stage2.py.tmpl", allow_single_file = True),
    "_system_python_stub": attr.label(default = "//python/private:system_python_stub.py.tmpl", allow_single_file = True),
    "_venvs_use_declare_symlink": attr.label(default = "//python/config_settings:venvs_use_declare_symlink"),
}

py_binary = rule(implementation = _py_executable_impl, attrs = _ATTRS, executable = True)

py_test = rule(implementation = _py_executable_impl, attrs = _ATTRS, test = True)
