"""The pytest.ini of a child pytest run on generated test files.

Fault tests, the docs' examples and `make bench` run pytest in a child process on
files they write into a temporary directory. The child gets its own ini (so the
project's testpaths are not collected), the project's asyncio settings, and only the
plugins it names: the harness's by default."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

HARNESS_PLUGIN = "tests.harness.plugin"
# Installed plugins that load themselves into a child run unless told not to, and that
# the child suites do not use: pytest-postgresql is there for `make bench` only, and
# importing it (psycopg, mirakuru) costs about a second of start-up.
UNUSED_PLUGINS = ("pytest_postgresql",)

_INI = """\
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
addopts = {addopts}
"""


def pytest_ini(
    plugins: Collection[str] = (HARNESS_PLUGIN,), blocked: Collection[str] = UNUSED_PLUGINS
) -> str:
    options = [f"-p {name}" for name in plugins]
    options += [f"-p no:{name}" for name in (*blocked, "cacheprovider")]
    return _INI.format(addopts=" ".join(options))


def write_pytest_ini(
    directory: Path,
    plugins: Collection[str] = (HARNESS_PLUGIN,),
    blocked: Collection[str] = UNUSED_PLUGINS,
) -> Path:
    """Writes directory/pytest.ini loading `plugins` and keeping `blocked` out."""
    path = directory / "pytest.ini"
    path.write_text(pytest_ini(plugins, blocked))
    return path
