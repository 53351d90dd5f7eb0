#!/usr/bin/env bash
# Starts `talk-backend serve --dev-bluesky` on a free loopback port, signs in with curl
# (following the redirects, approving at the fake's consent page as its form does), and
# checks GET /me returns the new member.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
work="$(mktemp -d)"
unset DATABASE__URL
# The embedded server's lock lands in platformdirs' fallback runtime dir: remove it if we made it.
runtime="/tmp/runtime-$(id -u)"
made_runtime=1
[[ -e $runtime ]] && made_runtime=0
.venv/bin/talk-backend serve --dev-bluesky --port "$port" >"$work/serve.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
  if ((made_runtime)); then rm -rf "$runtime"; fi
}
trap cleanup EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.2
done
# The page a browser shows at / is there, with its sign-in button.
curl -fsS "$base/" | grep -q 'Sign in with Bluesky'

# Signs ACCOUNT in with cookie jar JAR as a browser would: POST /auth/sign-in, follow the
# redirect to the fake's consent page, approve through its form (same cookie jar, its
# CSRF token), follow the redirects back through /auth/callback. Prints the last status.
approve_py='import sys, urllib.parse
from talk_backend.devtools.fake_atproto.consent import decision_form
print(urllib.parse.urlencode(decision_form(sys.stdin.read())))'
sign_in() {
  local jar=$1 account=$2 page="$work/consent-$2.html" consent_url
  consent_url="$(curl -fsS -c "$jar" -b "$jar" -L -H 'Content-Type: application/json' \
    -d "{\"account\": \"$account\"}" -o "$page" -w '%{url_effective}' "$base/auth/sign-in")"
  grep -q "$account" "$page"
  curl -sS -c "$jar" -b "$jar" -L -o /dev/null -w '%{http_code}' \
    --data "$(.venv/bin/python -c "$approve_py" <"$page")" \
    "${consent_url%%\?*}"
}
status="$(sign_in "$work/jar" newcomer.dev.test)"
[[ $status == 200 ]] || { echo "the invited user's sign-in ended with $status"; exit 1; }
# This run's embedded database: the data directory whose owner file names this serve
# (other runs on the machine have their own); tmpfs or disk, as serve chose.
# The owner file reads "pid N in pid:[…]" (talk_backend/devtools/liveness.py).
ours="$(grep -l "^pid $server in " /dev/shm/talk-dev-pg-*.owner "${TMPDIR:-/tmp}"/talk-dev-pg-*.owner 2>/dev/null | sed 's/\.owner$//' || true)"
[[ -n $ours ]] || { echo "no embedded database owned by serve ($server)"; exit 1; }
me="$(curl -fsS -b "$work/jar" "$base/me")"
echo "GET /me -> $me"
grep -q '"did":"did:plc:devuser2devuser2devuser2"' <<<"$me"
# Any other *.dev.test handle is a stranger without an invite: refused, as the README shows.
stranger="$(sign_in "$work/jar2" stranger.dev.test)"
[[ $stranger == 403 ]] || { echo "a stranger's sign-in answered $stranger, not 403"; exit 1; }

# A graceful stop (SIGTERM) must exit 0 and stop and delete the embedded database.
kill -TERM "$server"
wait "$server" || { echo "serve exited with $? on SIGTERM"; cat "$work/serve.log"; exit 1; }
if pgrep -f "bin/postgres -D $ours( |$)" >/dev/null || [[ -e $ours || -e $ours.owner ]]; then
  echo "the embedded dev PostgreSQL ($ours) outlived serve"; exit 1
fi
echo "dev sign-in smoke: OK"
