# Browser tests: Debian's Chromium driven by Playwright for Python.
.PHONY: chromium browser-tests

# Installs Debian's chromium when it is missing (apt-get update first).
chromium:
	scripts/ensure-chromium.sh

# Only the headless-Chromium tests (they also run in `make test`).
browser-tests: venv
	$(PY) -m pytest tests/browser -q
