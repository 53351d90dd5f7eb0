"""The integration-test harness. See docs/architecture.md ("How a test gets its database").

`Env` and `create_env_fixture` are loaded on first use: the plugin and the provisioner
live in this package too, and must not pay for the container's imports."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.harness.env import Env, create_env_fixture

__all__ = ["Env", "create_env_fixture"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from tests.harness import env

        return getattr(env, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
