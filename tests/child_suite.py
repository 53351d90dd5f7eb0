"""The pytest.ini of a child pytest run on generated test files.

Fault tests, the docs' examples and `make bench` run pytest in a child process on
files they write into a temporary directory. The child gets its own ini (so the
project's testpaths are not collected), the project's asyncio settings, and only the
plugins it names: the harness's by default. Installed plugins do not load themselves
(`--disable-plugin-autoload`): hypothesis' and schemathesis' entry points alone cost
seconds of start-up, and pytest-postgresql's another; every child gets pytest-asyncio,
and xdist where it is installed (a Bazel target has only its declared deps)."""

from __future__ import annotations

import importlib.util
from collections.abc import Collection
from pathlib import Path

HARNESS_PLUGIN = "tests.harness.plugin"
BASE_PLUGINS = ("asyncio", "xdist") if importlib.util.find_spec("xdist") else ("asyncio",)

_INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
addopts = {addopts}
"""


def pytest_ini(plugins: Collection[str] = (HARNESS_PLUGIN,)) -> str:
    options = ["--disable-plugin-autoload"]
    options += [f"-p {name}" for name in (*BASE_PLUGINS, *plugins)]
    options += ["-p no:cacheprovider"]
    return _INI.format(addopts=" ".join(options))


def write_pytest_ini(directory: Path, plugins: Collection[str] = (HARNESS_PLUGIN,)) -> Path:
    """Writes directory/pytest.ini loading `plugins` besides BASE_PLUGINS."""
    path = directory / "pytest.ini"
    path.write_text(pytest_ini(plugins))
    return path
