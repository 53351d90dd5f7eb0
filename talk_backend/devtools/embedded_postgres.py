"""A throwaway PostgreSQL for `serve` when DATABASE__URL is unset, with the schema
migrated by Alembic. Needs the `pgserver` wheel (a dev dependency)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """Yields an asyncpg URL; the data directory is deleted on exit."""
    try:
        import pgserver
    except ImportError:
        raise SystemExit(
            "DATABASE__URL is not set and pgserver is not installed: run `make venv`"
        ) from None
    pgdata = tempfile.mkdtemp(prefix="talk-dev-pg-", dir="/tmp")
    server = pgserver.get_server(  # type: ignore[attr-defined]
        pgdata, cleanup_mode="delete"
    )
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
