# Interop tests (owner: interop tooling): sign-in against the reference Bluesky
# servers, @atproto/pds and @did-plc/server from npm on 127.0.0.1 (tools/interop,
# tests/interop, docs/interop.md). Not part of `make test`: they need Node 22, ~600
# npm packages and a compiled better-sqlite3, which this target installs first.
.PHONY: interop interop-servers

# npm ci into .build/interop, once per lock (a stamp keyed by the lock's hash).
interop-servers:
	tools/interop/install.sh

interop: venv chromium interop-servers
	$(PY) -m pytest tests/interop -q
