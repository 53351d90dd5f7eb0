#!/usr/bin/env bash
# The official postgres image's contract, reduced to what the project uses:
# POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required unless
# POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB (default: the user), PGDATA,
# POSTGRES_INITDB_ARGS, /docker-entrypoint-initdb.d/*.sql|*.sh, and extra arguments
# (`-c fsync=off`) passed to postgres. Password auth over TCP from any address.
set -euo pipefail

# `docker run IMAGE -c fsync=off` means `postgres -c fsync=off`, as in the official image.
if [[ "${1:-}" == -* ]]; then
  set -- postgres "$@"
fi

if [[ "${1:-}" != postgres ]]; then
  exec "$@"
fi

# Root only prepares directories (PGDATA may be a fresh tmpfs or volume) and drops privileges.
if [[ "$(id -u)" == 0 ]]; then
  install -d -o postgres -g postgres -m 0700 "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

run_initdb() {
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of words, as upstream.
  initdb --username="$POSTGRES_USER" --auth-local=trust --auth-host="$AUTH_METHOD" \
    ${POSTGRES_INITDB_ARGS:-} "$@" >/dev/null
}

init_cluster() {
  if [[ -z "${POSTGRES_PASSWORD:-}" && "$AUTH_METHOD" != trust ]]; then
    echo "docker-entrypoint: POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  # The password goes through a pipe, never a command line or a log (the pipe must be
  # opened on initdb's own command line: bash closes it once that command ends).
  if [[ -n "${POSTGRES_PASSWORD:-}" ]]; then
    run_initdb --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD")
  else
    run_initdb
  fi
  printf 'host all all all %s\n' "$AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  # A socket-only server for setup: clients waiting on TCP only see the final server.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c fsync=off" -w start >/dev/null
  local psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres -q)
  if [[ "$POSTGRES_DB" != postgres ]]; then
    "${psql[@]}" --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        echo "docker-entrypoint: running $f"
        # shellcheck disable=SC1090  # init scripts are the user's
        . "$f"
        ;;
      *.sql) echo "docker-entrypoint: running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "docker-entrypoint: initialised $PGDATA for user $POSTGRES_USER, database $POSTGRES_DB"
}

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  init_cluster
fi

exec "$@"
