#!/usr/bin/env bash
# Executes the project's BUILD graph with Debian's bazel-bootstrap (Bazel 4.2.3),
# without network: the only Bazel this machine kind can install (no Bazel Central
# Registry, no GitHub). MODULE.bazel is Bazel 9's; here a staging workspace gets
# WORKSPACE.offline and the external rulesets are replaced by the small stand-ins in
# repos/ (see README.md). The BUILD files and the test runner are the real ones.
#
# Usage: tools/bazel/offline/run.sh [all|integration|everything|db_connect|image|shell CMD...]
#   all (default): the three checks of issue 4, timed:
#     1. bazel test //tests/integration/...   executed (cache bypassed), then again:
#        every result must be "(cached)" and at least one target sharded;
#     2. bazel test //...;
#     3. bazel run //tools:db_connect -- -c 'select 1' against a throwaway PostgreSQL.
#   image: build //:test_image (and load it into Docker when the engine answers).
#   shell: run `bazel CMD...` in the staging workspace (e.g. `shell query //...`).
# Leaves no Bazel server and no database running. Output base: .build/bazel-offline.
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
PG_DIR=""
PG_RUNTIME="/tmp/runtime-$(id -u)"
MADE_PG_RUNTIME=0

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'offline-bazel: %s\n' "$*" >&2; exit 1; }

ensure_packages() {
  local missing=()
  [[ -x $BAZEL ]] || missing+=(bazel-bootstrap)
  [[ -d $MOCKS ]] || missing+=(bazel-bootstrap-source)
  command -v psql >/dev/null || missing+=(postgresql-client)
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
    "$VENV/bin/python" -W ignore "$OFFLINE/throwaway_postgres.py" stop "$PG_DIR" || true
    rm -rf "$PG_DIR"
  fi
  if ((MADE_PG_RUNTIME)); then rm -rf "$PG_RUNTIME"; fi
  [[ -d $WS ]] && bazel_ shutdown 2>/dev/null || true
  exit "$code"
}

timed() { # timed LABEL CMD... : runs CMD, appends "LABEL seconds" to timings
  local start=$SECONDS
  "${@:2}"
  echo "$1 $((SECONDS - start))s" >>"$WORK/timings.txt"
}

check_integration() {
  local sharded
  sharded="$(bazel_ query 'attr(shard_count, "[2-9]", tests(//tests/integration/...))')"
  [[ -n $sharded ]] || die "no integration test has shard_count >= 2"
  log "sharded: $(echo "$sharded" | tr '\n' ' ')"

  log "bazel test //tests/integration/... (results cache bypassed: really executed)"
  timed "integration-first-run" bazel_ test --cache_test_results=no //tests/integration/...

  log "bazel test //tests/integration/... again: every result must come from the cache"
  timed "integration-cached-run" bazel_ test //tests/integration/... 2>&1 | tee "$WORK/cached.log"
  if grep -E '(PASSED|FAILED) in' "$WORK/cached.log" | grep -vq '(cached)'; then
    die "second run executed tests again instead of reporting them as cached"
  fi
}

check_everything() {
  log "bazel test //..."
  timed "everything" bazel_ test //...
}

check_db_connect() {
  PG_DIR="$(mktemp -d)"
  # pgserver's lock lands in platformdirs' fallback runtime dir: removed if we made it.
  [[ -e $PG_RUNTIME ]] || MADE_PG_RUNTIME=1
  local uri
  uri="$("$VENV/bin/python" -W ignore "$OFFLINE/throwaway_postgres.py" start "$PG_DIR")"
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

check_image() {
  log "bazel build //:test_image"
  bazel_ build //:test_image
  if docker info >/dev/null 2>&1; then
    log "bazel run //:test_image_load"
    bazel_ run //:test_image_load
  fi
}

main() {
  local what="${1:-all}"
  ensure_packages
  ensure_venv
  stage_workspace
  trap cleanup EXIT
  : >"$WORK/timings.txt"
  case "$what" in
    all)
      check_integration
      check_everything
      check_db_connect
      ;;
    integration) check_integration ;;
    everything) check_everything ;;
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
