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
