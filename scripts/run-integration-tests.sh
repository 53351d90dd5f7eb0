#!/usr/bin/env bash
# Runs the integration suite against a PostgreSQL that is already up (compose's `postgres`
# service, or any server named by DATABASE_HOST/PORT/USER and DATABASE__URL):
# wait for it, `alembic upgrade head`, then `pytest tests/integration ARGS...`.
# Exits with pytest's exit code. Used as the test container's command and as a Bazel
# sh_binary, so the repository root is found from TALK_ROOT, the script's place or runfiles.
#
#   --keep-running   (first argument) after the run, keep the container alive for
#                    `docker compose exec test ...`; the exit code is pytest's on SIGTERM.
#   JUNIT_XML=path   (or Bazel's XML_OUTPUT_FILE) writes a JUnit XML report there.
set -euo pipefail

log() { echo "run-integration-tests: $*" >&2; }

find_root() {
  local here candidates=()
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  candidates+=("${TALK_ROOT:-}" "$here" "$PWD")
  # Bazel: the runfiles tree holds one directory per workspace.
  [[ -n "${RUNFILES_DIR:-}" ]] && candidates+=("$RUNFILES_DIR"/*)
  [[ -d "${BASH_SOURCE[0]}.runfiles" ]] && candidates+=("${BASH_SOURCE[0]}.runfiles"/*)
  local dir
  for dir in "${candidates[@]}"; do
    if [[ -n "$dir" && -f "$dir/alembic.ini" && -d "$dir/tests/integration" ]]; then
      echo "$dir"; return
    fi
  done
  log "cannot find the repository root (alembic.ini + tests/integration); set TALK_ROOT"
  exit 2
}

# pg_isready where the image has it (talk-python does). Else, so that an official python
# image works too, an SSLRequest over bash's /dev/tcp: only a PostgreSQL server answers
# it with S or N (a bare TCP connect would also succeed against docker-proxy alone).
db_answers() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -t 2
  else
    # shellcheck disable=SC2016  # expanded by the inner bash, from its arguments
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "\0\0\0\10\4\322\26\57" >&3 &&
      read -r -n 1 reply <&3 && [[ "$reply" == [SN] ]]' _ "$DB_HOST" "$DB_PORT" 2>/dev/null
  fi
}

wait_for_db() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  until db_answers; do
    if ((SECONDS >= deadline)); then
      log "PostgreSQL at $DB_HOST:$DB_PORT (user $DB_USER) did not answer within ${WAIT_SECONDS}s"
      log "is the postgres service up? try: docker compose ps; docker compose logs postgres"
      exit 3
    fi
    sleep 0.5
  done
}

keep_running=0
if [[ "${1:-}" == --keep-running ]]; then
  keep_running=1
  shift
fi

ROOT="$(find_root)"
DB_HOST="${DATABASE_HOST:-127.0.0.1}"
DB_PORT="${DATABASE_PORT:-5432}"
DB_USER="${DATABASE_USER:-talk}"
WAIT_SECONDS="${TALK_DB_WAIT_SECONDS:-60}"
PYTHON="${PYTHON:-python3}"
JUNIT="${JUNIT_XML:-${XML_OUTPUT_FILE:-}}"
cd "$ROOT"

t0=$SECONDS
wait_for_db
t1=$SECONDS
log "PostgreSQL at $DB_HOST:$DB_PORT answered after $((t1 - t0))s; migrating"
"$PYTHON" -m alembic -c "$ROOT/alembic.ini" upgrade head
t2=$SECONDS

pytest_args=(tests/integration)
[[ -n "$JUNIT" ]] && pytest_args+=("--junitxml=$JUNIT")
set +e
"$PYTHON" -m pytest "${pytest_args[@]}" "$@"
code=$?
set -e
t3=$SECONDS

case "$code" in
  0) verdict="PASSED" ;;
  1) verdict="FAILED (some tests failed)" ;;
  2) verdict="INTERRUPTED" ;;
  5) verdict="NO TESTS COLLECTED" ;;
  *) verdict="ERROR" ;;
esac
log "summary: $verdict, pytest exit code $code; wait $((t1 - t0))s, migrations $((t2 - t1))s, tests $((t3 - t2))s${JUNIT:+; JUnit XML: $JUNIT}"

if ((keep_running)); then
  echo "$code" >/tmp/integration-exit-code
  log "keeping the container up for inspection (docker compose exec test ...)"
  # bash as PID 1 only leaves on a trapped signal; `sleep & wait` lets the trap run at once.
  trap 'exit "$code"' TERM INT
  while true; do sleep 3600 & wait $!; done
fi
exit "$code"
