# Remote cache and remote execution on this machine (owner: the Bazel tooling,
# tools/bazel/remote/). BuildGrid + two stand-in workers + the offline Bazel.
.PHONY: bazel-remote bazel-remote-lock

# Starts everything, runs the three checks, prints the wall-time table, and
# stops everything it started (also on failure). BAZEL_REMOTE_LOCAL_RUN=0 skips
# the local run of the suite (the table's first row).
BAZEL_REMOTE_LOCAL_RUN ?= 1
bazel-remote: venv
	TALK_BAZEL_REMOTE_LOCAL_RUN=$(BAZEL_REMOTE_LOCAL_RUN) tools/bazel/remote/run.sh

# BuildGrid's own hash-pinned requirements (a virtualenv apart from the project's).
bazel-remote-lock: venv
	$(PY) -m uv pip compile -q --universal --generate-hashes --python-version 3.11 \
		tools/bazel/remote/requirements.in -o tools/bazel/remote/requirements.txt
