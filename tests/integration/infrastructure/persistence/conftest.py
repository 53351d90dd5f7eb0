"""The fixtures of this directory's contract tests: each test runs on the in-memory fake
(tests/fakes) and on PostgreSQL, so the fake is held to the real adapter's behaviour.

- `env`: fake, or PostgreSQL in the test's rolled-back transaction;
- `committing_env`: fake, or PostgreSQL with a database of the test's own, for tests
  whose request scopes must see each other's commits (and wait on each other's locks)."""

from __future__ import annotations

import pytest

from tests.harness import Env, create_env_fixture

fake_env = create_env_fixture()
sqla_env = create_env_fixture(unmock={"persistence"})
sqla_db_env = create_env_fixture(unmock={"persistence"}, isolation="database")


@pytest.fixture(params=["fake_env", "sqla_env"])
def env(request: pytest.FixtureRequest) -> Env:
    env: Env = request.getfixturevalue(request.param)
    return env


@pytest.fixture(params=["fake_env", "sqla_db_env"])
def committing_env(request: pytest.FixtureRequest) -> Env:
    env: Env = request.getfixturevalue(request.param)
    return env
