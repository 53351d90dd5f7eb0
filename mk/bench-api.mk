# The HTTP API against a plain FastAPI + asyncpg app; wrk is Debian's package.
BENCH_API_SECONDS ?= 5

bench-api: venv
	@command -v wrk >/dev/null || { \
		echo "make bench-api: installing Debian's wrk"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }
	$(PY) -m tools.bench_api --seconds $(BENCH_API_SECONDS)

.PHONY: bench-api

# CPU per request of the app's layers, in process (dishka, FastAPI, the read paths).
bench-api-layers: venv
	$(PY) -m tools.bench_api.layers

.PHONY: bench-api-layers
