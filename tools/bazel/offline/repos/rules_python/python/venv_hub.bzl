"""Offline stand-in for rules_python's pip hub and hermetic toolchain.

`venv_hub` builds a repository that looks like the `@pypi` hub that
`pip.parse` creates under Bazel 9 (`@pypi//sqlalchemy`, `@pypi//pytest`, ...),
but from the project's already-synced virtualenv instead of downloads: every
package aliases one py_library that globs the venv's site-packages. It also
registers the venv's interpreter as the Python toolchain. Not part of the
product: it exists so bazel-bootstrap can execute the BUILD graph offline.
"""

# Command-line tools that neither the app nor the tests import; leaving them out
# keeps every test's runfiles tree about half the size.
_TOOLING = ["compose", "mypy", "mypyc", "pip", "ruff", "uv", "rust_just"]

_HUB_BUILD = """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

package(default_visibility = ["//visibility:public"])

py_runtime(
    name = "venv_python",
    interpreter_path = "{interpreter}",
    python_version = "PY3",
    # The default stub shebang is `/usr/bin/env python`: absent from the strict PATH.
    stub_shebang = "#!{interpreter}",
)

py_runtime_pair(
    name = "venv_python_pair",
    py3_runtime = ":venv_python",
)

toolchain(
    name = "python_toolchain",
    toolchain = ":venv_python_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)

# build-runfiles refuses names with spaces; the editable-install hooks would
# import talk_backend from the source tree instead of from runfiles.
_EXCLUDE = [
    "site-packages/**/* *",
    "site-packages/**/__pycache__/**",
    "site-packages/__editable__*",
    "site-packages/*.pth",
    "site-packages/*mypyc*",
] + ["site-packages/%s/**" % d for d in {tooling}] + [
    "site-packages/%s-*.dist-info/**" % d for d in {tooling}
]

py_library(
    name = "site_packages",
    srcs = glob(["site-packages/**/*.py"], exclude = _EXCLUDE),
    data = glob(["site-packages/**"], exclude = _EXCLUDE + ["site-packages/**/*.py"]),
    imports = ["site-packages"],
)
"""

def _normalize(name):
    return name.lower().replace("-", "_").replace(".", "_")

def _venv_hub_impl(rctx):
    if not rctx.os.environ.get("TALK_OFFLINE_VENV"):
        fail("set TALK_OFFLINE_VENV to the project's virtualenv (run.sh does)")
    venv = rctx.path(rctx.os.environ["TALK_OFFLINE_VENV"])
    python = venv.get_child("bin").get_child("python")
    if not python.exists:
        fail("no virtualenv at %s: run `make venv` first" % venv)
    probe = rctx.execute([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    if probe.return_code != 0:
        fail("cannot query %s: %s" % (python, probe.stderr))
    rctx.symlink(probe.stdout.strip(), "site-packages")
    rctx.file("WORKSPACE", "")

    # The venv's interpreter, not its base: the base's own site-packages (a pyenv
    # global with other pytest plugins, say) would leak into every test.
    rctx.file("BUILD.bazel", _HUB_BUILD.format(interpreter = str(python), tooling = repr(_TOOLING)))

    # One package per locked distribution, named the way pip.parse names them.
    for line in rctx.read(rctx.attr.requirements_lock).splitlines():
        if not line or line[0] in " #-" or "==" not in line:
            continue
        name = _normalize(line.split("==")[0].split("[")[0].strip())
        rctx.file(name + "/BUILD.bazel", """alias(
    name = "{name}",
    actual = "//:site_packages",
    visibility = ["//visibility:public"],
)

alias(
    name = "pkg",
    actual = "//:site_packages",
    visibility = ["//visibility:public"],
)
""".format(name = name))

venv_hub = repository_rule(
    implementation = _venv_hub_impl,
    attrs = {
        "requirements_lock": attr.label(allow_single_file = True),
    },
    # TALK_OFFLINE_VENV names the virtualenv; `make venv` must have synced it.
    environ = ["TALK_OFFLINE_VENV"],
    local = True,
)
