"""isolation="transaction": the test's connection is checked out when the test first
reaches the database, once however many request scopes ask for it at the same time,
and given back (its outer transaction rolled back) after the test."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talk_backend.application.ports import UserRepository
from tests.factories import ALICE, seed_member
from tests.fakes.clock import FakeClock
from tests.harness import create_env_fixture

integration_env = create_env_fixture(unmock={"persistence"})


def _checked_out(talk_databases) -> int:
    engine = talk_databases.ready_session_engine
    return 0 if engine is None else engine.sync_engine.pool.checkedout()


async def test_an_env_checks_out_its_connection_on_first_use(integration_env, talk_databases):
    assert _checked_out(talk_databases) == 0
    await integration_env.get(FakeClock)
    assert _checked_out(talk_databases) == 0  # a fake needs no database
    await integration_env.get(UserRepository)
    assert _checked_out(talk_databases) == 1
    await seed_member(integration_env, ALICE, "alice.test")
    assert _checked_out(talk_databases) == 1  # the same one


async def test_concurrent_scopes_share_one_connection(integration_env, talk_databases):
    async def session_of_a_scope():
        async with integration_env.scope() as scope:
            return await scope.get(async_sessionmaker[AsyncSession])

    first, second = await asyncio.gather(session_of_a_scope(), session_of_a_scope())
    assert first.kw["bind"] is second.kw["bind"]
    assert _checked_out(talk_databases) == 1
    # What the test wrote through one is seen through env.fetch, on the same connection.
    await seed_member(integration_env, ALICE, "alice.test")
    assert [row.did for row in await integration_env.fetch("SELECT did FROM users")] == [ALICE]


async def test_the_previous_tests_connection_was_given_back(integration_env, talk_databases):
    """Runs after the two above (file order): their connections are back in the pool,
    and what they wrote was rolled back."""
    assert _checked_out(talk_databases) == 0
    assert await integration_env.fetch("SELECT did FROM users") == []


@pytest.mark.asyncio(loop_scope="function")
async def test_an_env_used_on_another_loop_says_which_loop_to_use(integration_env):
    with pytest.raises(RuntimeError, match='loop_scope="session"'):
        await integration_env.get(UserRepository)
