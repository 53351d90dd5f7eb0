#!/usr/bin/env bash
# Executes the project's BUILD graph with Debian's bazel-bootstrap (Bazel 4.2.3),
# without network: the only Bazel this machine kind can install (no Bazel Central
# Registry, no GitHub). MODULE.bazel is Bazel 9's; here a staging workspace gets
# WORKSPACE.offline and the external rulesets are replaced by the small stand-ins in
# repos/ (see README.md). The BUILD files and the test runner are the real ones.
#
# Usage: tools/bazel/offline/run.sh [all|static|integration|everything|graph|runner|
#                                      db_connect|image|shell CMD...]
#   all (default), timed:
#     0. static: MODULE.bazel/.bazelrc/workflow checks (checks.py module), among them
#        every bazel_dep against the registry's versions (registry_versions.json);
#     1. bazel test //tests/integration/...   executed (cache bypassed), then again:
#        every result must be "(cached)" and at least one target sharded;
#     2. bazel test //... (the soak target excepted: `make slow-tests` runs it);
#     1 and 2 run with --config=reuse: the integration targets share one PostgreSQL
#     kept for this run (tools/bazel/test_server.py), each with its own databases;
#     TALK_TEST_REUSE=0 gives each target its own server instead (as before);
#     3. graph: no orphan test file, no placeholder in a platform's exec properties,
#        Docker tests ask for Docker in exec_properties, third-party imports are
#        direct deps;
#     4. bazel run //:integration_runner (migrate + one module) against a throwaway
#        PostgreSQL, and //tools:db_connect against the same server;
#     5. bazel build //:test_image (the layer tar of every runfile).
#   image: build //:test_image, load it into Docker (talk-backend-test:bazel), run it
#     against compose's postgres: the suite passes (exit 0), a failing test exits 1.
#   shell: run `bazel CMD...` in the staging workspace (e.g. `shell query //...`).
# Extra settings (another config, a remote cache or executor): TALK_BAZEL_OFFLINE_RC
# names an rc file appended to the generated one; TALK_BAZEL_OFFLINE_FLAGS holds
# flags for every build/test/run (`build FLAG` lines).
# Leaves no Bazel server and no database running (the kept server is stopped and
# its directory removed, also on failure). Output base: .build/bazel-offline.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
OFFLINE="$ROOT/tools/bazel/offline"
WORK="${TALK_BAZEL_OFFLINE_DIR:-$ROOT/.build/bazel-offline}"
WS="$WORK/workspace"
VENV="${VENV:-$ROOT/.venv}"
MOCKS=/usr/src/bazel-bootstrap/mock_repos
# The binary itself: Debian's /usr/bin/bazel wrapper would honour .bazelversion (9.x)
# and look for a Bazel it cannot find. Its install base is unpacked by the package.
BAZEL=/usr/bin/bazel-4
TEST_SERVER="$ROOT/tools/bazel/test_server.py"
PG_DIR=""
PG_URI=""
PG_RUNTIME="/tmp/runtime-$(id -u)"
MADE_PG_RUNTIME=0
# The server `--config=reuse` shares: one per run of this script (several may run
# at once on a shared machine), on tmpfs like the repository's default.
KEPT_DIR="/dev/shm/talk-bazel-pg-$$"
KEPT_STARTED=0
REUSE_FLAGS=()

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'offline-bazel: %s\n' "$*" >&2; exit 1; }

ensure_packages() {
  local missing=()
  [[ -x $BAZEL ]] || missing+=(bazel-bootstrap)
  [[ -d $MOCKS ]] || missing+=(bazel-bootstrap-source)
  command -v psql >/dev/null || missing+=(postgresql-client)
  # The stand-in Python toolchain (the test image's base has the same interpreter).
  [[ -x /usr/bin/python3.11 ]] || missing+=(python3.11)
  ((${#missing[@]} == 0)) && return
  local sudo=""
  ((EUID == 0)) || sudo=sudo
  log "installing ${missing[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  # Another job (dockerd's install) may hold the dpkg lock on a fresh machine.
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

ensure_venv() {
  [[ -x $VENV/bin/python ]] || make -C "$ROOT" venv
  [[ -x $VENV/bin/python ]] || die "no virtualenv at $VENV"
}

# Symlinks the repository's top level into a workspace that has WORKSPACE.offline:
# the checkout itself stays a Bazel 9 module with no WORKSPACE in it.
stage_workspace() {
  mkdir -p "$WS"
  find "$WS" -maxdepth 1 -type l ! -name 'bazel-*' -delete
  local entry name
  # Dotfiles stay out (.git, .venv, .build, the Bazel 9 .bazelrc) except these two.
  for entry in "$ROOT"/* "$ROOT/.bazelignore" "$ROOT/.env"; do
    name="$(basename "$entry")"
    case "$name" in
      bazel-* | MODULE.bazel* | node_modules) continue ;;
    esac
    if [[ -e $entry ]]; then ln -s "$entry" "$WS/$name"; fi
  done
  cp "$OFFLINE/WORKSPACE.offline" "$WS/WORKSPACE"

  # The repository's .bazelrc is for Bazel 9; this version gets its own rc file, plus
  # local copies of the repositories Bazel 4 itself would download (the Debian mocks,
  # and remote_coverage_tools, which every test action depends on).
  local repo flag
  {
    cat "$OFFLINE/bazelrc"
    # The rules_python flags of the real .bazelrc (bootstrap, venv symlinks): the
    # stand-ins honour them, so the offline launchers are the ones Bazel 9 builds.
    grep -E '^(common|build|test|run)(:[a-z_-]+)? +--@rules_python//' "$ROOT/.bazelrc" |
      sed -E 's/^common/build/' || true
    for repo in remote_coverage_tools rules_cc rules_java rules_proto rules_pkg platforms \
      bazel_skylib remote_java_tools_linux; do
      if [[ -d $OFFLINE/repos/$repo ]]; then
        flag="--override_repository=$repo=$OFFLINE/repos/$repo"
      else
        flag="--override_repository=$repo=$MOCKS/$repo"
      fi
      # Not `common`: that also reaches `shutdown`, which rejects the flag in Bazel 4.
      printf 'build %s\nquery %s\nfetch %s\n' "$flag" "$flag" "$flag"
    done
    # A caller's own settings last (e.g. a remote cache or executor): TALK_BAZEL_OFFLINE_RC.
    if [[ -n ${TALK_BAZEL_OFFLINE_RC:-} ]]; then cat "$TALK_BAZEL_OFFLINE_RC"; fi
    for flag in ${TALK_BAZEL_OFFLINE_FLAGS:-}; do echo "build $flag"; done
    echo "test:reuse --test_env=TALK_BAZEL_KEPT_SERVER=$KEPT_DIR"
  } >"$WORK/bazelrc"
}

bazel_() {
  (cd "$WS" && TALK_OFFLINE_VENV="$VENV" "$BAZEL" \
    --nosystem_rc --nohome_rc --noworkspace_rc --bazelrc="$WORK/bazelrc" \
    --install_base=/usr/share/bazel --trust_install_base \
    --output_user_root="$WORK/root" --max_idle_secs=600 "$@")
}

cleanup() {
  local code=$?
  if [[ -n $PG_DIR ]]; then
    "$VENV/bin/python" -W ignore "$TEST_SERVER" stop "$PG_DIR" || true
    rm -rf "$PG_DIR"
  fi
  if ((KEPT_STARTED)); then
    "$VENV/bin/python" -W ignore "$TEST_SERVER" stop "$KEPT_DIR" || code=1
    if pgrep -af "$KEPT_DIR" >&2 || [[ -e $KEPT_DIR ]]; then
      echo "offline-bazel: the kept server outlived its stop ($KEPT_DIR)" >&2
      code=1
    fi
  fi
  if ((MADE_PG_RUNTIME)); then rm -rf "$PG_RUNTIME"; fi
  if [[ -n $IMAGE_PROJECT ]]; then
    docker compose -f "$ROOT/deployment/local/docker-compose.yml" -p "$IMAGE_PROJECT" down -v \
      >/dev/null 2>&1 || true
  fi
  [[ -d $WS ]] && bazel_ shutdown 2>/dev/null || true
  exit "$code"
}

timed() { # timed LABEL CMD... : runs CMD, appends "LABEL seconds" to timings
  local start=$SECONDS rc=0
  "${@:2}" || rc=$?
  echo "$1 $((SECONDS - start))s" >>"$WORK/timings.txt"
  return "$rc"
}

# --config=reuse with a server kept for this run, unless TALK_TEST_REUSE=0.
# Started through its Bazel target: `bazel run` is outside every sandbox, so the
# server outlives it (a test's sandbox kills what the test leaves running).
use_kept_server() {
  REUSE_FLAGS=()
  [[ ${TALK_TEST_REUSE:-1} =~ ^(0|false|no)$ ]] && return
  if ((!KEPT_STARTED)); then
    [[ -e $PG_RUNTIME ]] || MADE_PG_RUNTIME=1
    KEPT_STARTED=1
    log "kept PostgreSQL for the test targets: bazel run //tools/bazel:test_server -- start $KEPT_DIR"
    timed "kept-server-start" bazel_ run //tools/bazel:test_server -- start "$KEPT_DIR" >&2
  fi
  REUSE_FLAGS=(--config=reuse)
}

check_integration() {
  local sharded
  sharded="$(bazel_ query 'attr(shard_count, "[2-9]", tests(//tests/integration/...))')"
  [[ -n $sharded ]] || die "no integration test has shard_count >= 2"
  log "sharded: $(echo "$sharded" | tr '\n' ' ')"

  use_kept_server
  log "bazel test ${REUSE_FLAGS[*]} //tests/integration/... (results cache bypassed: really executed)"
  timed "integration-first-run" bazel_ test "${REUSE_FLAGS[@]}" --cache_test_results=no \
    //tests/integration/... 2>&1 | tee "$WORK/first.log"

  log "bazel test //tests/integration/... again: every result must come from the cache"
  timed "integration-cached-run" bazel_ test "${REUSE_FLAGS[@]}" //tests/integration/... 2>&1 |
    tee "$WORK/cached.log"
  if grep -E '(PASSED|FAILED) in' "$WORK/cached.log" | grep -vq '(cached)'; then
    die "second run executed tests again instead of reporting them as cached"
  fi
}

check_static() {
  log "MODULE.bazel, .bazelrc and the workflow against the registry and the rulesets"
  timed "static" "$VENV/bin/python" "$OFFLINE/checks.py" module
}

check_everything() {
  log "bazel test //... (the soak target is left to make slow-tests)"
  use_kept_server
  timed "everything" bazel_ test "${REUSE_FLAGS[@]}" --test_tag_filters=-soak //...
}

check_graph() {
  local failed=0
  log "every test file belongs to a test target"
  bazel_ query 'labels(srcs, tests(//...))' >"$WORK/test_srcs.txt"
  "$VENV/bin/python" "$OFFLINE/checks.py" orphans "$WORK/test_srcs.txt" || failed=1

  log "no platform fixes a placeholder exec property"
  bazel_ query --output=build 'kind(platform, //...)' >"$WORK/platforms.txt"
  if grep -n 'exec_properties' -A8 "$WORK/platforms.txt" | grep -E '\.invalid|placeholder'; then
    echo "check graph: a platform fixes a placeholder exec property:" \
      "--remote_default_exec_properties cannot replace it" >&2
    failed=1
  fi

  log "tests that need Docker ask remote executors for it (exec_properties, not only tags)"
  local blind
  blind="$(bazel_ query 'attr(tags, "requires-docker", tests(//...)) except attr(exec_properties, "dockerNetwork", tests(//...))')"
  if [[ -n $blind ]]; then
    echo "check graph: tagged requires-docker without Docker exec_properties:" $blind >&2
    failed=1
  fi

  log "third-party imports are direct deps (@pypi//<distribution>)"
  bazel_ query --output=xml 'kind("py_library|py_binary|py_test", //...)' >"$WORK/py_targets.xml"
  bazel_ query '@pypi//:all' >/dev/null # fetches the hub, whose modules.json maps imports
  "$VENV/bin/python" "$OFFLINE/checks.py" imports "$WORK/py_targets.xml" \
    "$(bazel_ info output_base)/external/pypi/modules.json" || failed=1
  ((failed == 0)) || die "graph checks failed (see above)"
}

start_postgres() {
  [[ -n $PG_DIR ]] && return
  PG_DIR="$(mktemp -d)"
  # pgserver's lock lands in platformdirs' fallback runtime dir: removed if we made it.
  [[ -e $PG_RUNTIME ]] || MADE_PG_RUNTIME=1
  PG_URI="$("$VENV/bin/python" -W ignore "$TEST_SERVER" start "$PG_DIR" --driver none)"
}

check_runner() {
  bazel_ build //:integration_runner
  start_postgres
  local socket_dir="${PG_URI##*host=}"
  socket_dir="${socket_dir%%&*}"
  log "//:integration_runner (what bazel run runs): migrate, then one module (launchers must not loop)"
  # The runner migrates a database of its own, as compose's does, and the harness
  # copies it as its template: the server's maintenance database is never copied.
  "$VENV/bin/python" -c 'import asyncio, sys, asyncpg
async def main(host):
    conn = await asyncpg.connect(host=host, user="postgres", database="postgres")
    await conn.execute("DROP DATABASE IF EXISTS talk")
    await conn.execute("CREATE DATABASE talk")
    await conn.close()
asyncio.run(main(sys.argv[1]))' "$socket_dir"
  # The launcher of //:test_python must start within the time limit: a launcher
  # run by a `python3` that execs it again never would.
  DATABASE__URL="postgresql+asyncpg://postgres@/talk?host=$socket_dir" TALK_DB_WAIT_SECONDS=10 \
    timed "integration-runner" timeout "${TALK_BAZEL_OFFLINE_RUNNER_TIMEOUT:-300}" \
    "$WS/bazel-bin/integration_runner" -q -k test_guide_example ||
    die "//:integration_runner failed (exit $?; 124: timed out)"
}

check_db_connect() {
  start_postgres
  local uri="$PG_URI"
  log "bazel run //tools:db_connect against a throwaway PostgreSQL ($uri)"
  # The app's spelling of the URL: db_connect must strip the driver suffix.
  DATABASE__URL="${uri/postgresql:/postgresql+asyncpg:}" \
    timed "db_connect" bazel_ run //tools:db_connect -- -tAc 'select 1' | tee "$WORK/db_connect.out"
  [[ "$(tail -n1 "$WORK/db_connect.out")" == 1 ]] || die "db_connect did not answer 1"

  log "db_connect without a database must fail with a clear message"
  if DATABASE__URL=postgresql+asyncpg://talk:talk@127.0.0.1:9/talk \
    bazel_ run //tools:db_connect -- -c 'select 1'; then
    die "db_connect succeeded against a closed port"
  fi
}

check_image_build() {
  log "bazel build //:test_image (layer: every runfile of //:integration_runner)"
  timed "image-build" bazel_ build //:test_image
}

check_image() {
  check_image_build
  docker info >/dev/null 2>&1 || die "no Docker engine answers: cannot load the image"
  log "bazel run //:test_image_load"
  bazel_ run //:test_image_load
  check_image_runs
}

# The loaded image against the compose `postgres` service (a project of its own, so
# that nobody else's compose run is touched): the whole integration suite must pass
# with exit 0, and a failing test must come out as pytest's exit code 1.
IMAGE_PROJECT=""
check_image_runs() {
  local compose=(docker compose -f "$ROOT/deployment/local/docker-compose.yml")
  IMAGE_PROJECT="talk-bazel-image-$$"
  local probe
  probe="$(mktemp -d)"
  printf 'def test_probe_fails():\n    assert 1 == 2, "this probe fails on purpose"\n' >"$probe/test_probe.py"
  chmod -R a+rX "$probe"
  log "compose postgres (project $IMAGE_PROJECT)"
  "${compose[@]}" -p "$IMAGE_PROJECT" up -d --wait postgres >&2
  local run=(docker run --rm --network "${IMAGE_PROJECT}_default" --label talk-backend.bazel-image=probe
    -e DATABASE__URL=postgresql+asyncpg://talk:talk@postgres:5432/talk
    -v "$probe:/probe:ro" talk-backend-test:bazel)
  local code=0
  log "docker run talk-backend-test:bazel: the integration suite"
  timed "image-suite" "${run[@]}" -q || code=$?
  log "docker run talk-backend-test:bazel with a failing probe test"
  local failing=0
  "${run[@]}" -q -k "test_guide_example or test_probe_fails" /probe/test_probe.py || failing=$?
  "${compose[@]}" -p "$IMAGE_PROJECT" down -v >&2 2>/dev/null
  IMAGE_PROJECT=""
  rm -rf "$probe"
  ((code == 0)) || die "the image's integration suite failed (exit $code)"
  ((failing == 1)) || die "a failing test in the image gave exit $failing, not pytest's 1"
  log "image: suite passed (exit 0); failing probe propagated pytest's exit code 1"
}

main() {
  local what="${1:-all}"
  # By hand (`shell test --config=reuse ...`): the repository's fixed place, which
  # `shell run //tools/bazel:test_server -- start` and `make bazel-reuse-stop` use.
  [[ $what == shell ]] && KEPT_DIR=/dev/shm/talk-bazel-pg
  ensure_packages
  ensure_venv
  stage_workspace
  trap cleanup EXIT
  : >"$WORK/timings.txt"
  case "$what" in
    all)
      check_static
      check_integration
      check_everything
      check_graph
      check_runner
      check_db_connect
      check_image_build
      ;;
    static) check_static ;;
    integration) check_integration ;;
    everything) check_everything ;;
    graph) check_graph ;;
    runner) check_runner ;;
    db_connect) check_db_connect ;;
    image) check_image ;;
    shell) bazel_ "${@:2}" ;;
    *) die "unknown command: $what" ;;
  esac
  log "timings"
  cat "$WORK/timings.txt" >&2
}

# Sourced (tools/bazel/remote/run.sh reuses the functions above): no main.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
