"""isolation="database": each test gets a database and fakes of its own, also where
its env's tests share one container (no settings hook, Bluesky faked), and what a
test commits is there for every connection of that test."""

from datetime import UTC, datetime, timedelta

import pytest

from talk_backend.application.ports import UserRepository
from tests.factories import ALICE, seed_member
from tests.fakes.clock import FakeClock
from tests.harness import create_env_fixture

db_env = create_env_fixture(unmock={"persistence"}, isolation="database")

_databases_seen: list[str] = []
_clocks_seen: list[FakeClock] = []


@pytest.mark.parametrize("turn", [1, 2])
async def test_each_test_has_its_own_database_and_fakes(db_env, turn):
    name = (await db_env.fetch("SELECT current_database()"))[0][0]
    assert name not in _databases_seen, f"turn {turn} got a database handed out before"
    _databases_seen.append(name)

    clock = await db_env.get(FakeClock)
    assert all(clock is not earlier for earlier in _clocks_seen)
    assert clock.now() <= datetime.now(UTC)  # not the earlier turn's clock, moved below
    _clocks_seen.append(clock)
    clock.advance(timedelta(days=3))

    # The other turn's member is not here; this one's is committed for every connection.
    assert await db_env.fetch("SELECT did FROM users") == []
    alice = await seed_member(db_env, ALICE, "alice.test")
    async with db_env.scope() as other:
        assert await (await other.get(UserRepository)).get(alice.id) == alice
    assert [row.did for row in await db_env.fetch("SELECT did FROM users")] == [ALICE]
