"""The project's pytest plumbing, in one place: the harness and the fake atproto
fixtures are plugins (no test module imports a fixture by name), and one hook marks
what needs PostgreSQL."""

import pytest

pytest_plugins = ["tests.harness.plugin", "tests.fakes.atproto_fixtures"]

# Everything in these directories needs a real PostgreSQL; the marker lets -m select it.
_INTEGRATION_DIRS = frozenset({"integration", "e2e", "browser", "interop"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _INTEGRATION_DIRS.intersection(item.path.parent.parts):
            item.add_marker(pytest.mark.integration)
