#!/usr/bin/env bash
# `make bazel-remote`: remote cache and remote execution, proven on a real REAPI
# server on this machine. Starts BuildGrid (on a throwaway PostgreSQL) and two
# stand-in workers (worker.py), then runs the offline Bazel (bazel-bootstrap 4.2.3,
# tools/bazel/offline/run.sh) on //tests/integration/... and checks:
#   1. with --config=remote-local every integration test executes on a worker,
#      with its PostgreSQL (embedded pgserver) inside the worker's action
#      directory: the process summary says `N remote`, each test log shows the
#      worker's directory, and the sharded target's shards ran on both workers;
#   2. after `bazel clean`, the same command is served from the remote cache:
#      `N remote cache hit`, every test `(cached)`;
#   3. a probe that reads a file it did not declare passes locally and fails
#      remotely.
# It prints Bazel's process summaries and a wall-time table (local, remote, remote
# cache), and stops everything it started by PID, also on failure.
# `run.sh serve` only starts BuildGrid and the workers, for Bazel run by hand.
# TALK_BAZEL_REMOTE_LOCAL_RUN=0 leaves out the local run (and its table row).
set -euo pipefail

REMOTE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Bazel state of its own, apart from `make bazel-offline`'s (it runs `bazel clean`).
export TALK_BAZEL_OFFLINE_DIR="${TALK_BAZEL_REMOTE_DIR:-$(cd "$REMOTE_DIR/../../.." && pwd)/.build/bazel-remote}"
# ensure_packages, ensure_venv, stage_workspace, bazel_, log, die; ROOT, VENV, WORK.
# shellcheck source=../offline/run.sh
source "$REMOTE_DIR/../offline/run.sh"

BG_VENV="${TALK_BUILDGRID_VENV:-$ROOT/.build/buildgrid-venv}"
WORKERS=2 # two 2-core-machine-sized workers; worker.py takes one lease at a time
INTEGRATION=//tests/integration/...
PROBE=//tools/bazel/remote/probe:undeclared_read
RUN="" PORT="" SERVER_PID="" WORKER_PIDS=() PG_STARTED=0 MADE_RUNTIME=0
RUNTIME="/tmp/runtime-$(id -u)" # pgserver's lock dir when XDG_RUNTIME_DIR is unset

# BuildGrid in a venv of its own, from the hash-pinned requirements.txt; rebuilt
# when that file changes.
ensure_buildgrid() {
  local stamp="$BG_VENV/.requirements.sha256" want
  want="$(sha256sum "$REMOTE_DIR/requirements.txt" | cut -d' ' -f1)"
  [[ -f $stamp && "$(cat "$stamp")" == "$want" ]] && return
  log "BuildGrid virtualenv ($BG_VENV) from tools/bazel/remote/requirements.txt"
  rm -rf "$BG_VENV"
  # The project's interpreter (3.11); uv from the project's venv (hash-locked).
  "$("$VENV/bin/python" -c 'import sys; print(sys._base_executable)')" -m venv "$BG_VENV"
  "$VENV/bin/python" -m uv pip install -q --python "$BG_VENV/bin/python" \
    --require-hashes -r "$REMOTE_DIR/requirements.txt"
  echo "$want" >"$stamp"
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stops a process we started: TERM, then KILL after `grace` seconds.
stop_pid() {
  local pid=$1 grace=${2:-15} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "process $pid ignored SIGTERM for ${grace}s: killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

remote_cleanup() {
  local code=$? pid
  trap - EXIT INT TERM
  log "stopping workers, BuildGrid, PostgreSQL and the Bazel server"
  for pid in "${WORKER_PIDS[@]}"; do stop_pid "$pid"; done
  [[ -n $SERVER_PID ]] && stop_pid "$SERVER_PID"
  if ((PG_STARTED)); then
    "$VENV/bin/python" -W ignore "$ROOT/tools/bazel/test_server.py" stop "$RUN/pg" || true
  fi
  [[ -d $WS ]] && bazel_ shutdown 2>/dev/null || true
  if [[ -n $RUN ]]; then
    # Anything still running from the run's directory (a test's PostgreSQL that a
    # killed worker could not stop) goes too.
    local left
    left="$(pgrep -f "$RUN/" || true)"
    if [[ -n $left ]]; then
      log "killing leftover processes: $(xargs <<<"$left")"
      kill -KILL $left 2>/dev/null || true
      ((code != 0)) || code=1
    fi
    # The server's and workers' logs stay for a look afterwards.
    mkdir -p "$WORK/logs" && cp "$RUN"/*.log "$WORK/logs/" 2>/dev/null || true
    rm -rf "$RUN"
  fi
  if ((MADE_RUNTIME)); then rm -rf "$RUNTIME"; fi
  for pid in "${WORKER_PIDS[@]}" $SERVER_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      log "process $pid is still running"
      code=1
    fi
  done
  ((code != 0)) || log "left nothing behind: workers, BuildGrid and PostgreSQL stopped, $RUN removed"
  exit "$code"
}

start_services() {
  # Short: a test's PostgreSQL socket lives several levels below a worker's directory.
  RUN="$(mktemp -d /tmp/trx.XXXXXX)"
  [[ -e $RUNTIME ]] || MADE_RUNTIME=1
  log "throwaway PostgreSQL for BuildGrid's scheduler ($RUN/pg)"
  local db_url
  PG_STARTED=1
  db_url="$("$VENV/bin/python" -W ignore "$ROOT/tools/bazel/test_server.py" start "$RUN/pg" --driver psycopg2)"
  "$BG_VENV/bin/bgd" migrate apply "$db_url" >"$RUN/migrate.log" 2>&1 ||
    die "bgd migrate apply failed: $(cat "$RUN/migrate.log")"

  PORT="$(free_port)"
  log "BuildGrid 0.4.4 on 127.0.0.1:$PORT"
  TALK_REMOTE_ADDRESS="127.0.0.1:$PORT" TALK_REMOTE_DB_URL="$db_url" \
    "$BG_VENV/bin/bgd" server start "$REMOTE_DIR/buildgrid.yml" >"$RUN/server.log" 2>&1 &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 600; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || die "BuildGrid exited: $(tail -20 "$RUN/server.log")"
    grep -q 'Starting BuildGrid server' "$RUN/server.log" && (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
  done
  ((i < 600)) || die "BuildGrid did not listen on 127.0.0.1:$PORT within 60 s"

  local n
  for ((n = 1; n <= WORKERS; n++)); do
    # Bounded: each worker stops by itself after 30 minutes or 200 actions.
    "$BG_VENV/bin/python" "$REMOTE_DIR/worker.py" --server "127.0.0.1:$PORT" --bot-id "w$n" \
      --root "$RUN/w$n" --cache "$RUN/cas" --max-seconds 1800 --max-actions 200 \
      >"$RUN/w$n.log" 2>&1 &
    WORKER_PIDS+=($!)
  done
  for ((n = 1; n <= WORKERS; n++)); do
    for ((i = 0; i < 300; i++)); do
      grep -q 'session .* open' "$RUN/w$n.log" && break
      kill -0 "${WORKER_PIDS[n - 1]}" 2>/dev/null || die "worker w$n exited: $(cat "$RUN/w$n.log")"
      sleep 0.1
    done
    ((i < 300)) || die "worker w$n opened no bot session within 30 s"
  done
  log "workers: $(for ((n = 1; n <= WORKERS; n++)); do printf 'w%s (pid %s, %s) ' "$n" "${WORKER_PIDS[n - 1]}" "$RUN/w$n"; done)"
}

REMOTE_FLAGS=()
SUMMARIES=()
TIMES=()

# timed_bazel LABEL LOGFILE ARGS...: runs bazel, keeps its output, its wall time
# and its process summary; returns bazel's exit code.
timed_bazel() {
  local label=$1 out=$2 start end code=0
  start=$(date +%s%N)
  bazel_ "${@:3}" 2>&1 | tee "$out" || code=$?
  end=$(date +%s%N)
  TIMES+=("$label|$(((end - start) / 1000000))")
  SUMMARIES+=("$label: $(grep -E '^INFO: [0-9]+ process' "$out" | tail -n1 || echo 'no process summary')")
  return "$code"
}

seconds() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# Every test log (one per shard) must show a worker's action directory, with the
# test's PostgreSQL (binaries and data) inside it; prints the shards' workers last.
check_logs() {
  "$VENV/bin/python" "$REMOTE_DIR/check_logs.py" "$RUN" "$1" --shards "$2"
}

# `bazel clean`, quickly: Bazel 4 deletes a tree of runfiles links (about 15,000
# per test target) at a few hundred files a second on a busy machine, rm at far
# more. The check of the remote cache itself uses a plain `bazel clean`.
fresh_outputs() {
  local out
  out="$(bazel_ info output_path 2>/dev/null)"
  [[ $out == "$WORK"/root/* ]] || die "unexpected output path: $out"
  rm -rf "$out"
  bazel_ clean 2>/dev/null
}

main_remote() {
  ensure_packages
  ensure_venv
  ensure_buildgrid
  stage_workspace
  trap remote_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  start_services
  REMOTE_FLAGS=(--config=remote-local "--remote_executor=grpc://127.0.0.1:$PORT")
  local testlogs sharded expected shards
  testlogs="$(bazel_ info bazel-testlogs 2>/dev/null)"

  sharded="$(bazel_ query 'attr(shard_count, "[2-9]", tests('"$INTEGRATION"'))' 2>/dev/null)"
  [[ $(wc -l <<<"$sharded") == 1 && -n $sharded ]] || die "expected one sharded integration target, got: $sharded"
  shards="$(bazel_ query --output=build "$sharded" 2>/dev/null | grep -oE 'shard_count = [0-9]+' | grep -oE '[0-9]+')"
  expected=$(($(bazel_ query "tests($INTEGRATION)" 2>/dev/null | wc -l) - 1 + shards))

  # Each timed run starts from an empty output tree: no result of an earlier run
  # in the local cache, the same analysis and runfiles work in each.
  if [[ ${TALK_BAZEL_REMOTE_LOCAL_RUN:-1} == 1 ]]; then
    log "1/5 local: bazel test $INTEGRATION (embedded PostgreSQL), from an empty output tree"
    fresh_outputs
    timed_bazel local "$WORK/local.log" test --test_env=TALK_TEST_POSTGRES=embedded "$INTEGRATION" ||
      die "local run failed"
  else
    log "1/5 local run skipped (TALK_BAZEL_REMOTE_LOCAL_RUN=0): no local row in the table"
  fi

  fresh_outputs
  log "2/5 remote: bazel test --config=remote-local $INTEGRATION ($WORKERS workers), from an empty output tree"
  timed_bazel remote "$WORK/remote.log" test "${REMOTE_FLAGS[@]}" "$INTEGRATION" ||
    die "remote run failed (worker logs: $(tail -n 5 "$RUN"/w*.log))"
  local remote_count
  remote_count="$(grep -oE '[0-9]+ remote[,.]' "$WORK/remote.log" | tail -n1 | grep -oE '[0-9]+' || echo 0)"
  ((remote_count >= expected)) ||
    die "process summary shows $remote_count remote processes, expected at least $expected test actions"
  if grep -E '^INFO: [0-9]+ process' "$WORK/remote.log" | tail -n1 | grep -qE 'local|sandbox|worker'; then
    die "some processes ran locally: $(grep -E '^INFO: [0-9]+ process' "$WORK/remote.log" | tail -n1)"
  fi
  log "where each test ran, and its PostgreSQL"
  local sharded_logs spread
  sharded_logs="$testlogs/$(tr ':' '/' <<<"${sharded#//}")"
  check_logs "$testlogs" "$sharded_logs" | tee "$WORK/where.txt" || die "a test did not run on a worker"
  spread="$(sed -n 's/^shard workers: //p' "$WORK/where.txt")"
  if [[ $(wc -w <<<"$spread") -lt 2 ]]; then
    # Both shards went to one worker because the other was busy with another
    # target. Alone, with both workers idle, the scheduler must split them.
    log "shards of $sharded ran on $spread only; again alone, with both workers idle"
    bazel_ test "${REMOTE_FLAGS[@]}" --cache_test_results=no --noremote_accept_cached "$sharded" ||
      die "sharded target failed remotely"
    check_logs "$testlogs" "$sharded_logs" >"$WORK/where-shards.txt" || die "a shard did not run on a worker"
    spread="$(sed -n 's/^shard workers: //p' "$WORK/where-shards.txt")"
  fi
  [[ $(wc -w <<<"$spread") -ge 2 ]] || die "shards of $sharded did not spread over the workers ($spread)"
  log "shards of $sharded ran on: $spread"

  log "3/5 remote cache: bazel clean, then the same command"
  bazel_ clean
  timed_bazel cache "$WORK/cache.log" test "${REMOTE_FLAGS[@]}" "$INTEGRATION" ||
    die "run from the remote cache failed"
  grep -qE '[0-9]+ remote cache hit' "$WORK/cache.log" || die "no remote cache hit in the process summary"
  if grep -E '(PASSED|FAILED) in' "$WORK/cache.log" | grep -vq '(cached)'; then
    die "a test executed again instead of coming from the remote cache"
  fi
  if grep -E '^INFO: [0-9]+ process' "$WORK/cache.log" | tail -n1 | grep -qE '[0-9]+ remote[,.]'; then
    die "some actions executed remotely again: $(grep -E '^INFO: [0-9]+ process' "$WORK/cache.log" | tail -n1)"
  fi

  log "4/5 probe locally (unsandboxed): reading an undeclared file must pass"
  bazel_ test --cache_test_results=no --test_output=all "$PROBE" || die "the probe failed locally"
  log "5/5 probe remotely: the undeclared file is not on the worker, the probe must fail"
  local code=0
  bazel_ test "${REMOTE_FLAGS[@]}" --cache_test_results=no --test_output=all "$PROBE" \
    >"$WORK/probe.log" 2>&1 || code=$?
  cat "$WORK/probe.log"
  ((code == 3)) || die "the probe exited $code remotely; expected 3 (test failed)"
  grep -qE "probe: working directory $RUN/w[0-9]+/" "$WORK/probe.log" ||
    die "the remote probe's log does not show a worker's directory"
  grep -q 'undeclared.txt: No such file' "$WORK/probe.log" ||
    die "the remote probe failed, but not for want of the undeclared file"

  log "process summaries"
  printf '  %s\n' "${SUMMARIES[@]}" >&2
  log "wall time of bazel test $INTEGRATION (this machine: 2 cores, shared)"
  {
    printf '| run | wall time |\n|---|---|\n'
    local entry
    for entry in "${TIMES[@]}"; do
      case "${entry%%|*}" in
        local) printf '| locally (embedded PostgreSQL) |' ;;
        remote) printf '| remotely, %d workers |' "$WORKERS" ;;
        cache) printf '| from the remote cache, after bazel clean |' ;;
      esac
      printf ' %s s |\n' "$(seconds "${entry#*|}")"
    done
  } | tee "$WORK/timings.md" >&2
  log "bazel-remote: all checks passed"
}

# `run.sh serve`: BuildGrid and the workers only, until Ctrl-C, for bazel by hand.
serve() {
  ensure_venv
  ensure_buildgrid
  trap remote_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  start_services
  log "serving on 127.0.0.1:$PORT until Ctrl-C (workers stop by themselves after 30 min); e.g.
  tools/bazel/offline/run.sh shell test --config=remote-local --remote_executor=grpc://127.0.0.1:$PORT //tests/integration/..."
  wait "${WORKER_PIDS[@]}" || true
}

case "${1:-check}" in
  check) main_remote ;;
  serve) serve ;;
  *) die "usage: $0 [check|serve]" ;;
esac
