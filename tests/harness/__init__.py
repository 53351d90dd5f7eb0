"""The integration-test harness. See docs/architecture.md ("How a test gets its database")."""

from tests.harness.env import Env, create_env_fixture

__all__ = ["Env", "create_env_fixture"]
