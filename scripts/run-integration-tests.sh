#!/usr/bin/env bash
# The test container's command: wait for DATABASE__URL's server, migrate it, run the
# integration suite (arguments go to pytest; JUNIT_XML=path adds a JUnit report) and exit
# with pytest's code. The harness copies the database migrated here as its template.
set -euo pipefail
cd "$(dirname "$0")/.."
"${PYTHON:-python3}" -m talk_backend.devtools.postgres_ready
"${PYTHON:-python3}" -m alembic upgrade head
exec "${PYTHON:-python3}" -m pytest tests/integration ${JUNIT_XML:+"--junitxml=$JUNIT_XML"} "$@"
