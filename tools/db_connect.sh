#!/usr/bin/env bash
# Opens a SQL shell on the app's database: `bazel run //tools:db_connect`.
# Which database: DATABASE__URL (the app's setting, so the SQLAlchemy spelling
# postgresql+asyncpg://... is accepted), else DATABASE__URL from the workspace's
# .env, else the compose service on 127.0.0.1:5432 (talk/talk/talk).
# Arguments go to psql: `bazel run //tools:db_connect -- -c 'select 1'`.
# Without arguments on a terminal, pgcli is used when installed.
set -euo pipefail

die() { printf 'db_connect: %s\n' "$*" >&2; exit 2; }

url="${DATABASE__URL:-}"
env_file="${BUILD_WORKSPACE_DIRECTORY:-.}/.env"
if [[ -z $url && -f $env_file ]]; then
  url="$(sed -n 's/^DATABASE__URL=//p' "$env_file" | tail -n 1 | tr -d "\"'")"
fi
url="${url:-postgresql://talk:talk@127.0.0.1:5432/talk}"
# libpq does not know SQLAlchemy's "+driver" part.
url="$(sed -E 's#^postgres(ql)?\+[A-Za-z0-9_]+://#postgresql://#' <<<"$url")"
shown="$(sed -E 's#://([^:/@]*):[^@]*@#://\1:***@#' <<<"$url")"

command -v psql >/dev/null || die "psql not found: install the PostgreSQL client (Debian: postgresql-client)"
if command -v pg_isready >/dev/null && ! pg_isready -q -t 3 -d "$url"; then
  die "no database answers at $shown
  start the local one (see deployment/local) or set DATABASE__URL"
fi

# `bazel run` starts in the runfiles tree; relative paths (psql -f x.sql) mean the caller's.
cd "${BUILD_WORKING_DIRECTORY:-.}"
if [[ $# -eq 0 && -t 0 ]] && command -v pgcli >/dev/null; then
  exec pgcli "$url"
fi
exec psql "$url" "$@"
