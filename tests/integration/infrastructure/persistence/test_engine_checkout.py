"""The engine's checkout guard: a pooled connection the server has closed is replaced
at checkout, so the next request does not fail on it (no pre-ping query is spent)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from talk_backend.infrastructure.persistence.database import create_engine
from tests.harness import create_env_fixture

database_env = create_env_fixture(unmock={"persistence"}, isolation="database")


async def _backend_pid(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(sa.text("select pg_backend_pid()"))).scalar_one()


async def test_a_connection_the_server_closed_is_replaced_at_checkout(database_env):
    engine = create_engine(database_env.database_url, pool_size=1)
    other = create_engine(database_env.database_url, pool_size=1)
    try:
        pooled = await _backend_pid(engine)
        async with other.connect() as conn:
            ended = sa.text("select pg_terminate_backend(:pid)")
            assert (await conn.execute(ended, {"pid": pooled})).scalar_one()
        # asyncpg sees the closed socket once the event loop has read from it.
        await asyncio.sleep(0.2)
        assert await _backend_pid(engine) != pooled  # a new backend, and no error
    finally:
        await engine.dispose()
        await other.dispose()
