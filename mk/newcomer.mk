# Newcomer checks (owner: issue 15): the README's commands from a fresh clone, on a
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

# python3.13 from PATH, else pyenv's; the venv is .venv313 next to .venv.
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON313 ?= $(firstword $(shell command -v python3.13 2>/dev/null) \
	$(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3.13))

test-py313:
	@test -n "$(PYTHON313)" || { echo "test-py313: no python3.13 on PATH or under $(PYENV_ROOT)/versions"; exit 1; }
	@echo "test-py313: $$($(PYTHON313) --version) from $(PYTHON313)"
	$(MAKE) --no-print-directory test VENV=.venv313 PYTHON=$(PYTHON313)
