# `make bench`: the integration harness against the plain SQLAlchemy recipe and
# pytest-postgresql, side by side (docs/performance.md). BENCH_ARGS=--quick gives a
# short smoke run whose figures mean little; `python -m tools.bench --help` lists the rest.
BENCH_ARGS ?=

bench: venv
	$(PY) -m tools.bench $(BENCH_ARGS)

.PHONY: bench
