"""The health probe: true on a live database, false (never an exception) otherwise."""

from __future__ import annotations

from talk_backend.devtools.local_server import bind_loopback
from talk_backend.infrastructure.persistence.database import create_engine
from talk_backend.infrastructure.persistence.health import AsyncpgHealthCheck
from tests.harness import Env, create_env_fixture

db_env = create_env_fixture(unmock={"persistence"}, isolation="database")


async def _probe(url: str) -> bool:
    engine = create_engine(url)
    try:
        return await AsyncpgHealthCheck(engine).database_ok()
    finally:
        await engine.dispose()


async def test_a_live_database_is_ok(db_env: Env):
    assert db_env.database_url is not None
    assert await _probe(db_env.database_url)


async def test_nothing_listening_is_not_ok():
    with bind_loopback() as sock:  # bound, never listening: connections are refused
        port = sock.getsockname()[1]
        assert not await _probe(f"postgresql+asyncpg://nobody@127.0.0.1:{port}/none")
