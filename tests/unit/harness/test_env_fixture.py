import pytest

from talk_backend.application.ports import BlueskySignIn, Clock
from talk_backend.container import create_container
from talk_backend.settings import DatabaseSettings, Settings
from tests.fakes.bluesky import FakeBlueskySignIn
from tests.harness import create_env_fixture

env = create_env_fixture()


def test_unknown_group_lists_the_valid_ones():
    with pytest.raises(
        ValueError,
        match=r"unknown provider group\(s\) persistance; valid groups: bluesky, clock, persistence",
    ):
        create_env_fixture(unmock={"persistance"})


def test_unknown_isolation_is_refused():
    with pytest.raises(ValueError, match="isolation must be"):
        create_env_fixture(isolation="schema")


def test_composition_root_refuses_unknown_groups():
    settings = Settings(database=DatabaseSettings(url="postgresql+asyncpg://x@127.0.0.1/x"))
    with pytest.raises(ValueError, match="valid groups"):
        create_container(settings, replace={"cache": object()})


async def test_mocked_groups_are_the_drivable_fakes(env):
    assert await env.get(BlueskySignIn) is env.bluesky
    assert isinstance(env.bluesky, FakeBlueskySignIn)
    assert await env.get(Clock) is env.clock


async def test_fake_env_has_no_database(env):
    with pytest.raises(LookupError, match="persistence is faked"):
        await env.fetch("SELECT 1")
