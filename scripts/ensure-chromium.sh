#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser). Nothing survives between
# machines, so CI installs it itself; idempotent: an installed Chromium is left alone.
# Playwright drives it through executable_path: never `playwright install`, which
# downloads browsers of its own.
set -euo pipefail

CHROMIUM="${TALK_CHROMIUM:-/usr/bin/chromium}"
SUDO=""
[[ "$(id -u)" == 0 ]] || SUDO=sudo

log() { echo "ensure-chromium: $*" >&2; }

if [[ ! -x "$CHROMIUM" ]]; then
  log "no Chromium at $CHROMIUM: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  # Another apt-get (a neighbour's install) may hold the lock: wait and retry.
  for attempt in 1 2 3 4 5 6; do
    if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null; then
      break
    fi
    ((attempt < 6)) || { log "apt-get failed $attempt times"; exit 1; }
    log "apt-get failed (attempt $attempt; apt may be locked): retrying in 10 s"
    sleep 10
  done
fi
log "$("$CHROMIUM" --version 2>/dev/null)"
