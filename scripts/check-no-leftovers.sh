#!/usr/bin/env bash
# Fails when a container, volume or network of the project is left behind: anything of
# the compose project talk-backend-local, anything labelled talk-backend.* (the harness's
# testcontainers and every container of the project's images carry such labels).
# Images are not leftovers: `make images` keeps them on purpose. Also checks the host
# for embedded PostgreSQL processes and temporary directories of the tests.
set -euo pipefail

PROJECT="${TALK_COMPOSE_PROJECT:-talk-backend-local}"
found=0

# Each listing line is "LABELS<tab>DESCRIPTION"; a match prints the description.
report() {
  local kind="$1"; shift
  local labels what
  while IFS=$'\t' read -r labels what; do
    if [[ ",$labels," == *",com.docker.compose.project=$PROJECT,"* || ",$labels" == *",talk-backend."* ]]; then
      echo "leftover $kind: $what" >&2
      found=1
    fi
  done < <("$@")
}

report container docker ps -a --format '{{.Labels}}	{{.Names}} ({{.Image}}, {{.Status}})'
report volume docker volume ls --format '{{.Labels}}	{{.Name}}'
report network docker network ls --format '{{.Labels}}	{{.Name}}'

# On the host: the harness's and `serve`'s embedded servers, their data directories,
# and pytest's temporary directories.
while read -r pid args; do
  echo "leftover process: $pid $args" >&2
  found=1
done < <(pgrep -a -f 'pgserver/pginstall[0-9]*/bin/postgres' || true)
for path in /tmp/talk-test-pg-* /dev/shm/talk-test-pg-* /tmp/talk-dev-pg-* /dev/shm/talk-dev-pg-* \
            /tmp/talk-sock-* /tmp/talk-bench-* /tmp/talk-run-* /dev/shm/talk-run-* \
            "/tmp/pytest-of-$(id -un)"; do
  if [[ -e "$path" ]]; then
    echo "leftover path: $path" >&2
    found=1
  fi
done

# PostgreSQL's shared memory that only a killed server leaves: its System V interlock
# segment with nothing attached, and POSIX segments (/dev/shm/PostgreSQL.*) that no
# process maps. As root every owner's (embedded servers run as "pgserver", or as root
# in a Bazel sandbox) and every process's maps are visible; otherwise only this user's.
ours() { [[ "$(id -u)" == 0 || "$1" == "$(id -un)" ]]; }
while read -r _key shmid owner _perms _bytes nattch _rest; do
  if [[ "$nattch" == 0 ]] && ours "$owner"; then
    echo "leftover System V shared memory: id $shmid of $owner, nothing attached (ipcrm -m $shmid)" >&2
    found=1
  fi
done < <(ipcs -m 2>/dev/null | awk '$2 ~ /^[0-9]+$/')
for path in /dev/shm/PostgreSQL.*; do
  [[ -e "$path" ]] && ours "$(stat -c %U "$path")" || continue
  # The whole name: PostgreSQL.123 must not match PostgreSQL.1234.
  if ! grep -qsE "[[:space:]]${path//./\\.}( \(deleted\))?\$" /proc/[0-9]*/maps; then
    echo "leftover path: $path (shared memory of a killed PostgreSQL)" >&2
    found=1
  fi
done

if ((found)); then
  # A developer's runs keep one server per checkout on purpose (README, "The one-test
  # loop"); CI=true runs never do.
  if compgen -G '/dev/shm/talk-test-pg-kept-*' >/dev/null || compgen -G '/tmp/talk-test-pg-kept-*' >/dev/null ||
     [[ -n "$(docker ps -aq --filter label=talk-backend.test.reuse 2>/dev/null)" ]]; then
    echo "check-no-leftovers: kept test servers among them: make test-servers-stop stops them" >&2
  fi
  echo "check-no-leftovers: the project left things behind (see above)" >&2
  exit 1
fi
echo "check-no-leftovers: no container, volume, network, server process or temp directory of the project is left" >&2
