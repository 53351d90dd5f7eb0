# Entry points for people and CI. Only python3 (and make) must exist: the venv is
# created from the hash-pinned lock on first use.
SHELL := /bin/bash
VENV ?= .venv
# The interpreter the venv is made from (CI also builds one from Python 3.13).
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.synced
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: venv lock lock-check lint typecheck unit integration test slow-tests test-servers-stop test-cache-clear clean

venv: $(STAMP)

# The stamp depends on the lock: editing the lock re-syncs the venv (and on this
# Makefile, so an existing venv gets what the recipe below adds, such as bytecode).
# Debian's python3 ships venv/ensurepip separately (python3-venv): install it when
# creating the venv fails, from the machine's own apt sources.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): requirements_lock.txt pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
		echo "make venv: $(PYTHON) -m venv failed; installing Debian's python3-venv"; \
		rm -rf $(VENV); \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && \
		$(PYTHON) -m venv $(VENV); }
	@# uv itself comes from the lock too, hash-checked (it has no dependencies).
	@$(PY) -c 'import uv' 2>/dev/null || { \
		awk '/^uv==/{p=1} p{print} p && !/\\$$/{exit}' requirements_lock.txt > $(VENV)/uv.txt && \
		$(PY) -m pip install -q --require-hashes -r $(VENV)/uv.txt; }
	@# Bytecode now: where PYTHONDONTWRITEBYTECODE is set (this project's images and
	@# some machines), every pytest run otherwise compiles ~900 modules again (about
	@# 1.5 s of CPU at each start, more than the rest of a warm start-up).
	$(PY) -m uv pip sync -q --compile-bytecode --python $(PY) --require-hashes requirements_lock.txt
	$(PY) -m uv pip install -q --python $(PY) --no-deps --no-build-isolation -e .
	$(PY) -m compileall -q -j 0 talk_backend tests alembic tools >/dev/null
	@touch $@

lock: venv
	$(PY) -m uv pip compile -q --universal --generate-hashes --python-version 3.11 --extra dev \
		-o requirements_lock.txt pyproject.toml

# Fails when pyproject.toml asks for something the lock does not satisfy.
lock-check: venv
	$(PY) scripts/check_lock.py

lint: venv
	$(PY) -m ruff check talk_backend tests alembic tools scripts
	$(PY) -m ruff format --check talk_backend tests alembic tools scripts

typecheck: venv
	$(PY) -m mypy

unit: venv
	$(PY) -m pytest tests/unit -q

# Slow fault and soak tests of the harness run separately (make slow-tests).
PYTEST_FAST := -m "not slow"

# Through Docker Compose when an engine answers and has the PostgreSQL image (the
# guide's flow), else plain pytest, whose harness falls back to an embedded
# PostgreSQL (nothing is pulled); one line says which.
POSTGRES_IMAGE = $(or $(TALK_POSTGRES_IMAGE),talk-postgres:15)
integration: venv
	@if ! docker info >/dev/null 2>&1; then \
		echo "make integration: no Docker engine answers: running the suite on embedded PostgreSQL"; \
		TALK_TEST_POSTGRES=embedded $(PY) -m pytest tests/integration $(PYTEST_FAST) -q; \
	elif ! docker image inspect $(POSTGRES_IMAGE) >/dev/null 2>&1; then \
		echo "make integration: image $(POSTGRES_IMAGE) is not in the local engine (\`make images\` builds it): running the suite with plain pytest"; \
		$(PY) -m pytest tests/integration $(PYTEST_FAST) -q; \
	else \
		echo "make integration: Docker engine answers: running the suite through Docker Compose"; \
		$(MAKE) --no-print-directory compose-integration; \
	fi

# tests/interop needs the reference Bluesky servers installed: `make interop` runs it.
test: lock-check lint typecheck
	$(PY) -m pytest tests $(PYTEST_FAST) --ignore=tests/interop -q

slow-tests: venv
	$(PY) -m pytest tests/faults -m slow -q

# Stops the PostgreSQL a developer's test runs keep between runs (this checkout's;
# `python -m tests.harness.postgres.reuse stop --all` stops every checkout's).
test-servers-stop: venv
	$(PY) -m tests.harness.postgres.reuse stop

# Removes the cache of migrated data directories that cold runs copy (shared by this
# user's checkouts; the next cold run rebuilds it).
test-cache-clear: venv
	$(PY) -m tests.harness.postgres.reuse clear-cache

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Capability-specific targets live in mk/ (docker, bazel, bench), one file per owner.
-include mk/*.mk
