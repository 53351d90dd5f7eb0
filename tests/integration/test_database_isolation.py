"""isolation="database": each env gets a database and fakes of its own, also where
envs share one container (no settings hook, Bluesky faked), and what a test commits
is there for every connection of its database. Two envs in one test, so the check
holds however a run spreads tests over workers."""

from datetime import timedelta

from talk_backend.application.ports import UserRepository
from tests.factories import ALICE, seed_member
from tests.fakes.clock import FakeClock
from tests.harness import create_env_fixture

first_env = create_env_fixture(unmock={"persistence"}, isolation="database")
second_env = create_env_fixture(unmock={"persistence"}, isolation="database")


async def _database(env) -> str:
    return (await env.fetch("SELECT current_database()"))[0][0]


async def test_each_env_has_its_own_database_and_fakes(first_env, second_env):
    assert await _database(first_env) != await _database(second_env)

    first_clock, second_clock = await first_env.get(FakeClock), await second_env.get(FakeClock)
    assert first_clock is not second_clock
    before = second_clock.now()
    first_clock.advance(timedelta(days=3))
    assert second_clock.now() == before

    alice = await seed_member(first_env, ALICE, "alice.test")
    async with first_env.scope() as other:
        assert await (await other.get(UserRepository)).get(alice.id) == alice
    assert [row.did for row in await first_env.fetch("SELECT did FROM users")] == [ALICE]
    assert await second_env.fetch("SELECT did FROM users") == []
