#!/usr/bin/env bash
# Reads a source file this target never declared (see BUILD.bazel), by its path
# in the execroot: the directory above bazel-out/ of the test's working directory.
set -euo pipefail
execroot="${PWD%%/bazel-out/*}"
echo "probe: working directory $PWD"
cat "$execroot/tools/bazel/remote/probe/undeclared.txt"
