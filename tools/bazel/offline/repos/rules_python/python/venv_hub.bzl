"""Offline stand-ins for the repositories rules_python's module extensions make.

`venv_hub` is the hub that `pip.parse` creates (`@<hub>//sqlalchemy`, ...), built
from the project's synced virtualenv instead of downloads: one py_library per
locked distribution holding only that distribution's files, with the deps its
wheel metadata declares (private/hub_gen.py). A program sees a distribution
only when its deps bring it, as under Bazel 9.

`python_interpreter` is the toolchain `python.toolchain(python_version = "3.11")`
makes: here Debian's /usr/bin/python3.11 (also in the test image's base), never a
virtualenv's interpreter, whose site-packages would leak into every program.
Not part of the product: they exist so bazel-bootstrap can run the BUILD graph.
"""

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
    gen = rctx.execute([
        python,
        rctx.path(Label("//python/private:hub_gen.py")),
        rctx.path(rctx.attr.requirements_lock),
        probe.stdout.strip(),
    ])
    if gen.return_code != 0:
        fail("cannot build the @%s hub: %s" % (rctx.name, gen.stderr))

venv_hub = repository_rule(
    implementation = _venv_hub_impl,
    attrs = {
        "requirements_lock": attr.label(allow_single_file = True),
    },
    # TALK_OFFLINE_VENV names the virtualenv; `make venv` must have synced it.
    environ = ["TALK_OFFLINE_VENV"],
    local = True,
)

def _python_interpreter_impl(rctx):
    interpreter = rctx.attr.interpreter
    probe = rctx.execute([interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    if probe.return_code != 0:
        fail("%s does not run: install Debian's python%s" % (interpreter, rctx.attr.python_version))
    if probe.stdout.strip() != rctx.attr.python_version:
        fail("%s is Python %s, not %s" % (interpreter, probe.stdout.strip(), rctx.attr.python_version))
    rctx.file("WORKSPACE", "")
    rctx.file("BUILD.bazel", "")
    rctx.file("defs.bzl", "INTERPRETER = %r\nPYTHON_VERSION = %r\n" % (interpreter, rctx.attr.python_version))

python_interpreter = repository_rule(
    implementation = _python_interpreter_impl,
    attrs = {
        "interpreter": attr.string(mandatory = True),
        "python_version": attr.string(mandatory = True),
    },
)
