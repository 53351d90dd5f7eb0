#!/usr/bin/env bash
# Proves that the CI one-liner
#   docker compose -f deployment/local/docker-compose.yml --profile test up --build \
#     --abort-on-container-exit test
# returns pytest's exit code: non-zero when a test fails, zero when it passes. The probe
# tests are generated into a temporary directory and bind-mounted by an extra compose file
# (never committed); TALK_TEST_ARGS selects only them. `down -v` runs after every case.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMPOSE_FILE="$ROOT/deployment/local/docker-compose.yml"
PROBE=test_talk_exit_code_probe

log() { echo "check-compose-exit-code: $*" >&2; }

# `docker compose`: make compose-check runs scripts/ensure-docker.sh first, which links
# the Compose v2 plugin where it is missing.
compose=(docker compose)

work="$(mktemp -d "${TMPDIR:-/tmp}/talk-compose-check.XXXXXX")"
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
  "${compose[@]}" -f "$COMPOSE_FILE" --profile test down -v --remove-orphans --timeout 5 \
    >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/override.yml" <<YML
services:
  test:
    volumes:
      - $work/$PROBE.py:/app/tests/integration/$PROBE.py:ro
YML

# Runs the one-liner (plus the probe's compose file); prints its exit code.
run_case() {
  local outcome="$1"
  printf 'def %s():\n    assert "%s" == "passes"\n' "$PROBE" "$outcome" >"$work/$PROBE.py"
  local code=0 started=$SECONDS
  TALK_TEST_ARGS="-k $PROBE -p no:cacheprovider" "${compose[@]}" -f "$COMPOSE_FILE" \
    -f "$work/override.yml" --profile test up --build --abort-on-container-exit test \
    >"$work/$outcome.log" 2>&1 || code=$?
  "${compose[@]}" -f "$COMPOSE_FILE" --profile test down -v --remove-orphans --timeout 5 \
    >/dev/null 2>&1
  log "probe test that $outcome: exit code $code ($((SECONDS - started))s)"
  echo "$code"
}

trap 'docker image prune -f --filter label=talk-backend.image=test >/dev/null; cleanup' EXIT
failed=0
fail_code="$(run_case fails)"
if [[ "$fail_code" == 0 ]]; then
  log "FAIL: a failing test gave exit code 0; output:"; tail -n 40 "$work/fails.log" >&2
  failed=1
fi
pass_code="$(run_case passes)"
if [[ "$pass_code" != 0 ]]; then
  log "FAIL: a passing test gave exit code $pass_code; output:"; tail -n 40 "$work/passes.log" >&2
  failed=1
fi
if ((failed == 0)); then
  log "OK: exit codes propagate (failing test: $fail_code, passing test: 0)"
fi
exit "$failed"
