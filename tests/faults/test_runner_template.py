"""The runner's migration is the harness's template: when the server's own database is
at the newest revision and holds no rows, ensure_template copies it instead of
migrating again; a database in use, or one behind, is never copied."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

from talk_backend.devtools.migrations import upgrade_head
from tests.harness.postgres import templates
from tests.harness.postgres.embedded import start_embedded
from tests.harness.postgres.server import PostgresServer, asyncpg_connect_kwargs

RUNNER_DB = "talk_runner_db"


@pytest.fixture(scope="module")
def embedded() -> Iterator[PostgresServer]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TALK_TEST_REUSE", "0")  # a server of its own, not a developer's kept one
        env.setenv("TALK_TEST_PGDATA_CACHE", "0")  # initdb: no template yet, as a runner's server
        server = start_embedded()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(embedded: PostgresServer) -> Iterator[PostgresServer]:
    yield embedded
    names = [RUNNER_DB, *(r["datname"] for r in asyncio.run(_templates(embedded)))]
    for name in names:
        asyncio.run(_sql(embedded, "postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _templates(server: PostgresServer) -> list[asyncpg.Record]:
    return await _sql(
        server,
        "postgres",
        f"SELECT datname FROM pg_database WHERE datname LIKE '{templates.TEMPLATE_PREFIX}%'",
    )


def _as_runner_url(server: PostgresServer) -> PostgresServer:
    """The server as the harness sees it under DATABASE__URL: its database is RUNNER_DB."""
    return PostgresServer(
        source="DATABASE__URL", url=server.database_url(RUNNER_DB), ready_seconds=0
    )


def _runner_migrates(server: PostgresServer) -> None:
    """`alembic upgrade head` as scripts/run-integration-tests.sh runs it before pytest
    (in this process: the same alembic.ini and env.py)."""
    upgrade_head(server.database_url(RUNNER_DB).render_as_string(hide_password=False))


async def _sql(server: PostgresServer, database: str, *statements: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(server.database_url(database)))
    try:
        rows: list[asyncpg.Record] = []
        for statement in statements:
            rows = await conn.fetch(statement)
        return rows
    finally:
        await conn.close()


def _has_marker(server: PostgresServer, template: str) -> bool:
    rows = asyncio.run(_sql(server, template, "SELECT to_regclass('public.runner_marker') AS t"))
    return rows[0]["t"] is not None


def _template_after(server: PostgresServer, *runner_statements: str) -> str:
    asyncio.run(_sql(server, "postgres", f'CREATE DATABASE "{RUNNER_DB}"'))
    _runner_migrates(server)
    # A table the migrations never make: found in the template only if it was copied.
    asyncio.run(_sql(server, RUNNER_DB, "CREATE TABLE runner_marker (id int)", *runner_statements))
    return asyncio.run(templates.ensure_template(_as_runner_url(server)))


def test_a_freshly_migrated_database_is_copied(server):
    template = _template_after(server)
    assert _has_marker(server, template)
    assert asyncio.run(_sql(server, template, "SELECT version_num FROM alembic_version"))


def test_a_database_holding_rows_is_not_copied(server):
    template = _template_after(server, "INSERT INTO runner_marker VALUES (1)")
    assert not _has_marker(server, template)
    assert asyncio.run(_sql(server, template, "SELECT version_num FROM alembic_version"))


def test_a_database_behind_head_is_not_copied(server):
    template = _template_after(server, "UPDATE alembic_version SET version_num = '0001'")
    assert not _has_marker(server, template)
    rows = asyncio.run(_sql(server, template, "SELECT version_num FROM alembic_version"))
    assert rows[0]["version_num"] != "0001"
