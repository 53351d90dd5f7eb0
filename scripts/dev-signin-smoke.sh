#!/usr/bin/env bash
# Starts `talk-backend serve --dev-bluesky` on a free loopback port, signs in with curl
# (following the redirects, approving at the fake's consent page as its form does), and
# checks GET /me returns the new member.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
work="$(mktemp -d)"
unset DATABASE__URL
# pgserver's lock lands in platformdirs' fallback runtime dir: remove it if we made it.
runtime="/tmp/runtime-$(id -u)"
made_runtime=1
[[ -e $runtime ]] && made_runtime=0
dev_pg_before="$(pgrep -fc 'bin/postgres -D /tmp/talk-dev-pg-' || true)"
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
# Start sign-in; curl follows the redirect to the fake's consent page (as a browser would).
consent_url="$(curl -fsS -c "$work/jar" -b "$work/jar" -L -H 'Content-Type: application/json' \
  -d '{"account": "newcomer.dev.test"}' -o "$work/consent.html" -w '%{url_effective}' \
  "$base/auth/login")"
grep -q 'newcomer.dev.test' "$work/consent.html"
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" "$work/consent.html"; }
# Approve as the page's own form does (same cookie jar, its CSRF token), then follow the
# authorization response back through /auth/callback.
curl -fsS -c "$work/jar" -b "$work/jar" -L -o /dev/null \
  --data-urlencode "request_uri=$(field request_uri)" \
  --data-urlencode "csrf_token=$(field csrf_token)" \
  --data-urlencode "decision=approve" "${consent_url%%\?*}"
me="$(curl -fsS -b "$work/jar" "$base/me")"
echo "GET /me -> $me"
grep -q '"did":"did:plc:devuser2devuser2devuser2"' <<<"$me"

# A graceful stop (SIGTERM) must exit 0 and stop and delete the embedded database.
kill -TERM "$server"
wait "$server" || { echo "serve exited with $? on SIGTERM"; cat "$work/serve.log"; exit 1; }
if [[ "$(pgrep -fc 'bin/postgres -D /tmp/talk-dev-pg-' || true)" != "$dev_pg_before" ]]; then
  echo "the embedded dev PostgreSQL outlived serve"; exit 1
fi
echo "dev sign-in smoke: OK"
