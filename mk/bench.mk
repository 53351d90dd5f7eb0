bench: venv
	$(PY) -m tools.bench

.PHONY: bench
