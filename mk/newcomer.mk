# Newcomer checks: the README's commands from a fresh clone, on a
# clean Debian container and on a host whose engine lacks the images; and the suite
# on Python 3.13 (Debian 13's and Fedora's python3).
.PHONY: newcomer-matrix newcomer-debian newcomer-host newcomer-host-py313 test-py313

newcomer-matrix:
	scripts/newcomer-matrix.sh all

newcomer-debian:
	scripts/newcomer-matrix.sh debian

newcomer-host:
	NEWCOMER_PYTHON="$(or $(NEWCOMER_PYTHON),python3)" scripts/newcomer-matrix.sh host

# The host leg on Python 3.13 (what .ci/run runs).
newcomer-host-py313:
	@test -n "$(PYTHON313)" || { echo "newcomer-host-py313: no python3.13 on PATH or under $(PYENV_ROOT)/versions"; exit 1; }
	NEWCOMER_PYTHON="$(PYTHON313)" scripts/newcomer-matrix.sh host

# The first python3.13 that runs: on PATH, else pyenv's versions (a pyenv shim on
# PATH fails unless 3.13 is the active version). The venv is .venv313 next to .venv.
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON313 ?= $(shell for p in $$(command -v python3.13) $(PYENV_ROOT)/versions/3.13*/bin/python3.13; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { echo "$$p"; break; }; done)

test-py313:
	@test -n "$(PYTHON313)" || { echo "test-py313: no python3.13 on PATH or under $(PYENV_ROOT)/versions"; exit 1; }
	@echo "test-py313: $$($(PYTHON313) --version) from $(PYTHON313)"
	$(MAKE) --no-print-directory test VENV=.venv313 PYTHON=$(PYTHON313)
