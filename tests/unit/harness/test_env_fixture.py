import pytest

from talk_backend.application.ports import BlueskySignIn, Clock
from talk_backend.container import create_container
from talk_backend.settings import DatabaseSettings, Settings
from tests.fakes.bluesky import FakeBlueskySignIn
from tests.fakes.clock import FakeClock
from tests.harness import create_env_fixture

env = create_env_fixture()
other_env = create_env_fixture()  # the same session container, entered once more


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
        create_container(settings, fakes={"cache": object()})  # type: ignore[dict-item]


async def test_the_production_container_wires_every_group():
    """No fakes: every group's own providers, imported by name; dishka checks the graph
    (every dependency has a provider at a usable scope) as the container is made."""
    settings = Settings(database=DatabaseSettings(url="postgresql+asyncpg://x@127.0.0.1/x"))
    container = create_container(settings)
    await container.close()


async def test_mocked_groups_are_the_drivable_fakes(env):
    """A fake is the same object under its port and under its own class, in every
    request scope of one test."""
    bluesky, clock = await env.get(FakeBlueskySignIn), await env.get(FakeClock)
    assert await env.get(BlueskySignIn) is bluesky
    assert await env.get(Clock) is clock
    async with env.scope() as other:
        assert await other.get(BlueskySignIn) is bluesky


async def test_each_env_gets_fresh_fakes(env, other_env):
    """The container is shared by the session; the fakes are not."""
    assert await env.get(FakeClock) is not await other_env.get(FakeClock)
    assert await env.get(FakeBlueskySignIn) is not await other_env.get(FakeBlueskySignIn)


async def test_fake_env_has_no_database(env):
    with pytest.raises(LookupError, match="persistence is faked"):
        await env.fetch("SELECT 1")
