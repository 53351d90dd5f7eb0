"""The Clock and HealthCheck contracts, against the fakes and the real adapters: the
small ports, held to their real ones like the rest (tests/fakes/__init__.py)."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from talk_backend.application.ports import Clock, HealthCheck
from talk_backend.infrastructure.clock import SystemClock
from tests.fakes.clock import FakeClock
from tests.fakes.health import AlwaysHealthy
from tests.harness import Env, create_env_fixture

pytestmark = pytest.mark.integration

fake_env = create_env_fixture()
db_env = create_env_fixture(unmock={"persistence"}, isolation="database")


@pytest.mark.parametrize("clock", [SystemClock(), FakeClock()], ids=["system", "fake"])
def test_now_is_aware_utc_and_never_goes_back(clock: Clock):
    first, second = clock.now(), clock.now()
    assert first.utcoffset() == timedelta(0) and first.tzinfo is UTC
    assert second >= first


@pytest.fixture(params=["fake_env", "db_env"])
def env(request: pytest.FixtureRequest) -> Env:
    return request.getfixturevalue(request.param)


async def test_a_live_database_is_healthy(env: Env):
    """The fake persistence group has nothing that can go down: always live."""
    health = await env.get(HealthCheck)
    assert isinstance(health, AlwaysHealthy) == (env.database_url is None)
    assert await health.database_ok() is True
