"""A `python` whose import path is this target's runfiles: app, tests, dependencies.

Shell scripts run by Bazel (scripts/run-integration-tests.sh through
integration_runner.sh) call `python -m alembic ...` / `python -m pytest ...` /
`python script.py ...`; this binary gives those calls the interpreter and the
libraries Bazel put in runfiles, without a virtualenv.
"""

import runpy
import sys


def main(argv: list[str]) -> None:
    if len(argv) >= 2 and argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    elif argv and not argv[0].startswith("-"):
        sys.argv = argv
        runpy.run_path(argv[0], run_name="__main__")
    else:
        raise SystemExit("usage: python -m MODULE [ARGS] | python SCRIPT [ARGS]")


if __name__ == "__main__":
    main(sys.argv[1:])
