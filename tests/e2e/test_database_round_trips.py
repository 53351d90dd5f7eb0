"""What the API sends to PostgreSQL per request, and how it lives through a restart
of the server under it. The API runs in uvicorn on 127.0.0.1 against a PostgreSQL of
this module's own (the project's embedded wrapper), which the tests restart and whose
statement log they read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
import pytest_asyncio

from talk_backend.application.usecase.users.register_founder import RegisterFounder
from talk_backend.application.usecase.web_sessions.open import OpenWebSession
from talk_backend.container import create_container
from talk_backend.devtools.embedded_postgres import embedded_postgres, migrate
from talk_backend.devtools.local_server import serving
from talk_backend.domain.identity import Did
from talk_backend.entrypoints.http.app import create_app
from talk_backend.settings import DatabaseSettings, Environment, Settings
from tests.e2e.local_postgres import LocalPostgres, connect_kwargs
from tests.fakes.providers import FakeBlueskyProvider


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with embedded_postgres() as url:
        migrate(url)
        yield url


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def postgres(postgres_url: str) -> AsyncIterator[LocalPostgres]:
    server = await LocalPostgres.of(postgres_url)
    yield server
    # After a restart the wrapper's package no longer knows the postmaster: stop it
    # here, so the wrapper only deletes the data directory.
    await asyncio.to_thread(server.stop)


@pytest_asyncio.fixture(loop_scope="session")
async def api(postgres: LocalPostgres) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The app (fake Bluesky; real persistence, clock) and a signed-in member's token."""
    settings = Settings(
        database=DatabaseSettings(url=postgres.url),  # type: ignore[arg-type]
        environment=Environment.TEST,
    )
    container = create_container(settings, fakes={"bluesky": FakeBlueskyProvider()})
    did = "did:plc:abcdefghijklmnopqrstuvwx"
    async with container() as request:
        member = await (await request.get(RegisterFounder)).execute(Did.parse(did), None)
    async with container() as request:
        token = await (await request.get(OpenWebSession)).execute(member.id)
    app = create_app(container, close_container=False)
    try:
        async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
            yield client, token
    finally:
        await container.close()
        async with _admin(postgres) as conn:
            await conn.execute("DELETE FROM users")


@asynccontextmanager
async def _admin(postgres: LocalPostgres) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(**connect_kwargs(postgres.url))
    try:
        yield conn
    finally:
        await conn.close()


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/me", headers={"Cookie": f"talk_session={token}"})


async def test_requests_after_a_database_restart_succeed(api, postgres: LocalPostgres):
    client, token = api
    # Several pooled connections, all of which the restart will close.
    answers = await asyncio.gather(*[_me(client, token) for _ in range(6)])
    answers += await asyncio.gather(*[client.get("/healthz") for _ in range(6)])
    assert [r.status_code for r in answers] == [200] * 12
    async with _admin(postgres) as conn:
        started = await conn.fetchval("SELECT pg_postmaster_start_time()")

    await asyncio.to_thread(postgres.restart)

    async with _admin(postgres) as conn:
        assert await conn.fetchval("SELECT pg_postmaster_start_time()") > started
    one_by_one = [await _me(client, token) for _ in range(3)]
    one_by_one += [await client.get("/healthz") for _ in range(3)]
    together = await asyncio.gather(*[_me(client, token) for _ in range(8)])
    statuses = [r.status_code for r in [*one_by_one, *together]]
    assert statuses == [200] * len(statuses), [r.text for r in one_by_one + together]
    assert one_by_one[3].json() == {"status": "ok", "database": "ok"}


@pytest_asyncio.fixture(loop_scope="session")
async def statement_log(postgres: LocalPostgres) -> AsyncIterator[LocalPostgres]:
    async with _admin(postgres) as conn:
        await conn.execute("ALTER SYSTEM SET log_statement = 'all'")
        await conn.execute("SELECT pg_reload_conf()")
    yield postgres
    async with _admin(postgres) as conn:
        await conn.execute("ALTER SYSTEM RESET log_statement")
        await conn.execute("SELECT pg_reload_conf()")


async def _statements_of(postgres: LocalPostgres, request: Awaitable[httpx.Response]) -> list[str]:
    offset = postgres.log_size()
    response = await request
    assert response.status_code in (200, 401), response.text
    return postgres.statements_since(offset)


async def test_what_each_request_sends_to_postgresql(api, statement_log: LocalPostgres):
    client, token = api
    log = statement_log
    await _me(client, token)  # warm: pooled connections, prepared statements
    await asyncio.sleep(0.2)  # the reload reaches every backend
    # Reads nothing: nothing sent (no BEGIN, no ROLLBACK, no ping).
    assert await _statements_of(log, client.get("/oauth-client-metadata.json")) == []
    assert await _statements_of(log, client.get("/me")) == []
    # The probe: one SELECT 1 in autocommit.
    health = await _statements_of(log, client.get("/healthz"))
    assert len(health) == 1 and health[0].endswith("SELECT 1"), health
    # A signed-in request: one SELECT for the session and its member, nothing else.
    me = await _statements_of(log, _me(client, token))
    assert len(me) == 1 and me[0].split(": ", 1)[1].startswith("SELECT users.id"), me
    # A stranger's cookie: the same one SELECT, and a 401.
    stranger = await _statements_of(log, _me(client, "not-a-session"))
    assert len(stranger) == 1 and "SELECT users.id" in stranger[0], stranger
