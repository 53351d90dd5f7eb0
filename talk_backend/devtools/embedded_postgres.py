"""A throwaway PostgreSQL for `serve` when DATABASE__URL is unset, with the schema
migrated by Alembic. Needs the `pgserver` wheel (a dev dependency)."""

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

from sqlalchemy.engine import URL

from talk_backend.devtools import embedded_leftovers as leftovers

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
# /tmp, not $TMPDIR: the socket lives in the data directory and a socket path is
# limited to 107 bytes.
ROOT = Path("/tmp")  # noqa: S108


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """Yields an asyncpg URL; the server is stopped and its data directory deleted on
    exit. What an earlier run killed with SIGKILL left behind is removed first."""
    try:
        import pgserver
    except ImportError:
        raise SystemExit(
            "DATABASE__URL is not set and pgserver is not installed: run `make venv`"
        ) from None
    for path in leftovers.remove_leftovers(ROOT):
        print(f"PostgreSQL: removed what a killed run left ({path})", file=sys.stderr)
    runtime = _pgserver_runtime()
    runtime_existed = runtime.parent.exists()
    pgdata = Path(tempfile.mkdtemp(prefix=leftovers.PREFIX, dir=ROOT))
    leftovers.claim(pgdata)
    server = None
    try:
        server = pgserver.get_server(  # type: ignore[attr-defined]
            pgdata, cleanup_mode="delete"
        )
        socket_dir = server.get_postmaster_info().socket_dir
        url = URL.create(
            "postgresql+asyncpg",
            username="postgres",
            database="postgres",
            query={"host": str(socket_dir)},
        )
        yield url.render_as_string(hide_password=False)
    finally:
        if server is not None:
            server.cleanup()
        leftovers.stop_postmaster(pgdata)  # when the package could not stop it
        shutil.rmtree(pgdata, ignore_errors=True)
        leftovers.release(pgdata)
        _remove_pgserver_runtime(runtime, remove_parent=not runtime_existed)


def _pgserver_runtime() -> Path:
    """Where pgserver keeps its inter-process lock (platformdirs' user runtime dir)."""
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    if not Path(base).is_dir():
        base = f"{tempfile.gettempdir()}/runtime-{os.getuid()}"
    return Path(base) / "python_PostgresServer"


def _remove_pgserver_runtime(runtime: Path, *, remove_parent: bool) -> None:
    """pgserver's lock file, only while no other run holds it; then the directories,
    only when empty (another run's socket directory keeps them)."""
    lock = runtime / ".lockfile"
    with contextlib.suppress(OSError):
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lock.unlink()
        finally:
            os.close(fd)
    for directory in (runtime, runtime.parent) if remove_parent else (runtime,):
        with contextlib.suppress(OSError):
            directory.rmdir()


def migrate(url: str) -> None:
    """Upgrades the database to the newest Alembic revision (blocking)."""
    from alembic.config import Config

    from alembic import command

    if not ALEMBIC_INI.exists():
        raise SystemExit(f"{ALEMBIC_INI} not found: run from a source checkout")
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")
