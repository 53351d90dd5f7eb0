#!/usr/bin/env bash
# Runs scripts/run-integration-tests.sh (migrate, then pytest) from Bazel runfiles:
# `bazel run //:integration_runner`, and the entrypoint of //:test_image.
# The script stays Bazel-agnostic: it finds the repository layout in the working
# directory and gets $PYTHON = //:test_python, the runfiles interpreter with every
# dependency. Nothing named python/python3 is put on PATH: a launcher that starts
# with `#!/usr/bin/env python3` would find it and run itself again, forever.
set -euo pipefail

runfiles="${RUNFILES_DIR:-$0.runfiles}"
for root in "$runfiles/_main" "$runfiles/talk_backend"; do # Bazel 9 / offline Bazel 4
  [[ -f $root/scripts/run-integration-tests.sh ]] && break
done
[[ -f $root/scripts/run-integration-tests.sh ]] || {
  echo "integration_runner: runfiles not found under $runfiles" >&2
  exit 2
}

export RUNFILES_DIR="$runfiles" PYTHON="$root/test_python"
export TALK_ALEMBIC_INI="$root/alembic.ini"
cd "$root"
exec bash scripts/run-integration-tests.sh "$@"
