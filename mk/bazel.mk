# Bazel targets (owner: Bazel tooling). Bazel 9 itself cannot be installed on our
# machines; `bazel-offline` executes the BUILD graph with Debian's bazel-bootstrap.
BUILDIFIER_VERSION := 8.2.1
BUILDIFIER := .build/npm/node_modules/.bin/buildifier
# Every Starlark file we own, tracked or new (ignored state such as .build/ excluded).
STARLARK_FILES = $(filter-out tools/bazel/offline/WORKSPACE.offline,$(wildcard $(shell \
	git ls-files -co --exclude-standard -- '*.bzl' '*.bazel' '*BUILD' '*WORKSPACE')))

.PHONY: bazel-offline bazel-offline-image bazel-reuse-stop buildifier buildifier-fix

# The graph under the strict stand-ins: static checks of MODULE.bazel/.bazelrc, the
# integration tests (executed, then cached), //..., graph checks, the runner,
# db_connect, the image build (tools/bazel/offline/run.sh says what each does).
bazel-offline: venv
	tools/bazel/offline/run.sh all

# Stops the PostgreSQL that `bazel test --config=reuse` shares (started with
# `bazel run //tools/bazel:test_server -- start`) and deletes its data; the same
# as `bazel run //tools/bazel:test_server -- stop`, without Bazel.
bazel-reuse-stop: venv
	$(PY) tools/bazel/test_server.py stop

# Builds //:test_image with the stand-in rules, loads it into the local engine and
# runs it against compose's postgres (the suite passes; a failing test exits 1).
bazel-offline-image: venv images
	tools/bazel/offline/run.sh image

# From npm (prebuilt binaries, nothing downloaded at install); --no-save: no
# lockfile with registry addresses lands in the repository. npm from Debian when the
# machine has none.
$(BUILDIFIER):
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm; }
	npm install --silent --no-save --no-package-lock --prefix .build/npm \
		@bazel/buildifier@$(BUILDIFIER_VERSION)

# Lint warnings and formatting; exit 0 only when both are clean.
buildifier: $(BUILDIFIER)
	$(BUILDIFIER) -mode=check -lint=warn $(STARLARK_FILES)
	$(BUILDIFIER) -mode=check -lint=warn -type=workspace tools/bazel/offline/WORKSPACE.offline

buildifier-fix: $(BUILDIFIER)
	$(BUILDIFIER) -mode=fix -lint=fix $(STARLARK_FILES)
	$(BUILDIFIER) -mode=fix -lint=fix -type=workspace tools/bazel/offline/WORKSPACE.offline
