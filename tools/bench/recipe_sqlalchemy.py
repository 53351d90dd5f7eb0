"""pytest plugin: the plain SQLAlchemy recipe most FastAPI projects copy, on the same
kind of server as the harness (the embedded PostgreSQL, migrated once by Alembic).

A session-wide server and engine; per test a connection with an outer transaction
and an AsyncSession(join_transaction_mode="create_savepoint") on it, rolled back
afterwards; the use cases wired by hand (RecipeEnv)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from alembic.config import Config
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from alembic import command
from talk_backend.devtools import embedded_server
from tools.bench.recipe_env import RecipeEnv

REPO = Path(__file__).resolve().parents[2]
# The harness's server settings: durability is worthless in a test database.
TUNING = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def migrate(url: URL) -> None:
    config = Config(str(REPO / "alembic.ini"))
    # The ini's interpolation would read the socket path's %-escapes as its own.
    rendered = url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", rendered)
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
def recipe_database_url() -> Iterator[URL]:
    root = embedded_server.data_root(100 * embedded_server.MB).path
    pgdata = Path(tempfile.mkdtemp(prefix="talk-bench-recipe-", dir=root))
    try:
        server = embedded_server.get_server(pgdata, cleanup_mode="delete")
        try:
            socket_dir = str(server.get_postmaster_info().socket_dir)
            url = URL.create(
                "postgresql+asyncpg", "postgres", database="postgres", query={"host": socket_dir}
            )
            for name, value in TUNING.items():
                server.psql(f"ALTER SYSTEM SET {name} = {value};")
            server.psql("SELECT pg_reload_conf();")
            migrate(url)
            yield url
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(pgdata, ignore_errors=True)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def recipe_engine(recipe_database_url: URL) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(recipe_database_url)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def env(recipe_engine: AsyncEngine) -> AsyncIterator[RecipeEnv]:
    async with recipe_engine.connect() as connection:
        outer = await connection.begin()
        session = AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield RecipeEnv(session, connection)
        finally:
            await session.close()
            await outer.rollback()
