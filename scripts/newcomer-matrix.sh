#!/usr/bin/env bash
# The README's two commands (`make integration`, `make test`) as a newcomer runs them,
# each from a fresh clone of HEAD:
#   debian  a clean Debian 12 container (debootstrap base + python3, make, git,
#           ca-certificates), default /dev/shm (64 MB), no Docker inside. It reaches
#           PyPI only by trusting the host's CA bundle (mounted; SSL_CERT_FILE, PIP_CERT).
#   host    this host with the engine up but TALK_POSTGRES_IMAGE naming a tag that is
#           not in the engine (the shared talk-* images stay untouched): the harness
#           must fall back to embedded PostgreSQL and say so, without pulling. The venv
#           is made from NEWCOMER_PYTHON (default python3; CI passes Python 3.13, the
#           python3 of Debian 13 and Fedora).
# Usage: scripts/newcomer-matrix.sh [debian|host|all]   (default all)
set -euo pipefail

# shellcheck source=project.sh
source "$(dirname "${BASH_SOURCE[0]}")/project.sh"
WHICH="${1:-all}"
MISSING_TAG="talk-postgres:newcomer-absent"
HOST_CA="${TALK_HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/talk-newcomer.XXXXXX")"
CONTAINER="talk-newcomer-$$"

log() { printf 'newcomer-matrix: %s\n' "$*" >&2; }
cleanup() {
  docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# A fresh clone of exactly the commit under test (uncommitted edits are not part of it).
fresh_clone() {
  local dest="$1"
  git clone -q --no-hardlinks "$ROOT" "$dest"
  git -C "$dest" checkout -q --detach "$(git -C "$ROOT" rev-parse HEAD)"
}

# Both commands; the log must show the fallback lines the README promises.
expect_in() {
  local file="$1" what="$2"
  grep -qF -- "$what" "$file" || { log "expected in the output: $what"; exit 1; }
}

run_debian() {
  local t=$SECONDS
  docker info >/dev/null 2>&1 || "$ROOT/scripts/ensure-docker.sh"
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || "$ROOT/scripts/build-images.sh"
  [[ -r "$HOST_CA" ]] || { log "no CA bundle at $HOST_CA (set TALK_HOST_CA_BUNDLE)"; exit 1; }
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    -t "$NEWCOMER_IMAGE" "$ROOT/deployment/local/images/newcomer" >/dev/null
  log "debian: image $NEWCOMER_IMAGE ready after $((SECONDS - t)) s"
  fresh_clone "$WORK/debian"
  # --rm and no socket mounted: no Docker inside; /dev/shm is Docker's default 64 MB.
  docker run --rm --name "$CONTAINER" \
    -v "$WORK/debian:/home/newcomer/talk-backend" -w /home/newcomer/talk-backend \
    -v "$HOST_CA:/etc/ssl/host-ca.crt:ro" \
    -e SSL_CERT_FILE=/etc/ssl/host-ca.crt -e PIP_CERT=/etc/ssl/host-ca.crt \
    "$NEWCOMER_IMAGE" bash -c '
      set -euo pipefail
      echo "container: $(. /etc/os-release; echo "$PRETTY_NAME"), $(python3 --version)," \
           "/dev/shm $(df -m --output=size /dev/shm | tail -1 | tr -d " ") MB," \
           "docker: $(command -v docker || echo none)"
      make integration
      make test
    ' 2>&1 | tee "$WORK/debian.log"
  expect_in "$WORK/debian.log" "make integration: no Docker engine answers"
  expect_in "$WORK/debian.log" "embedded PostgreSQL data on disk"
  expect_in "$WORK/debian.log" "Docker path skipped: no Docker engine answers"
  log "debian: both README commands passed in $((SECONDS - t)) s"
}

run_host() {
  local t=$SECONDS
  docker info >/dev/null 2>&1 || "$ROOT/scripts/ensure-docker.sh"
  if docker image inspect "$MISSING_TAG" >/dev/null 2>&1; then
    log "host: $MISSING_TAG exists in this engine; it must be absent for this check"; exit 1
  fi
  fresh_clone "$WORK/host"
  (
    cd "$WORK/host"
    export TALK_POSTGRES_IMAGE="$MISSING_TAG" PYTHON="${NEWCOMER_PYTHON:-python3}"
    echo "host: $("$PYTHON" --version) from $PYTHON, image $MISSING_TAG absent"
    make --no-print-directory integration
    make --no-print-directory test
  ) 2>&1 | tee "$WORK/host.log"
  expect_in "$WORK/host.log" "make integration: image $MISSING_TAG is not in the local engine"
  expect_in "$WORK/host.log" "Docker path skipped: image $MISSING_TAG is not in the local engine and is never pulled"
  expect_in "$WORK/host.log" "embedded PostgreSQL data on"
  log "host: both README commands passed in $((SECONDS - t)) s"
}

case "$WHICH" in
  debian) run_debian ;;
  host) run_host ;;
  all) run_debian; run_host ;;
  *) log "usage: $0 [debian|host|all]"; exit 2 ;;
esac
