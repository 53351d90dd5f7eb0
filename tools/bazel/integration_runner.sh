#!/usr/bin/env bash
# Runs scripts/run-integration-tests.sh (migrate, then pytest) from Bazel runfiles:
# `bazel run //:integration_runner`, and the entrypoint of //:test_image.
# The script stays Bazel-agnostic: it finds the repository layout in the working
# directory and gets `python`/$PYTHON = the runfiles interpreter with every dependency.
set -euo pipefail

runfiles="${RUNFILES_DIR:-$0.runfiles}"
for root in "$runfiles/_main" "$runfiles/talk_backend"; do # Bazel 9 / offline Bazel 4
  [[ -f $root/scripts/run-integration-tests.sh ]] && break
done
[[ -f $root/scripts/run-integration-tests.sh ]] || {
  echo "integration_runner: runfiles not found under $runfiles" >&2
  exit 2
}

shims="$(mktemp -d)"
trap 'rm -rf "$shims"' EXIT
for name in python python3; do
  printf '#!/bin/sh\nexec "%s" "$@"\n' "$root/test_python" >"$shims/$name"
  chmod +x "$shims/$name"
done
export RUNFILES_DIR="$runfiles" PATH="$shims:$PATH" PYTHON="$shims/python"
export TALK_ALEMBIC_INI="$root/alembic.ini"
cd "$root"
bash scripts/run-integration-tests.sh "$@"
