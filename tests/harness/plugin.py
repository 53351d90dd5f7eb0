"""pytest plugin: the session-wide database provisioner behind create_env_fixture.

Lines for the person running the tests (where PostgreSQL came from, a database that
went away) go to the terminal. xdist workers have no terminal: they attach the lines
to the next test report and the controller prints them."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import getpass
import os
import tempfile
from collections.abc import AsyncIterator, Generator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy
import pytest
import pytest_asyncio

if TYPE_CHECKING:
    from tests.harness.provisioner import DatabaseProvisioner

# Nothing heavy at import: a unit-only run loads this plugin too, and never needs
# asyncpg, SQLAlchemy, Alembic or a server.

_PROPERTY = "talk-backend harness"
_PENDING = pytest.StashKey[list[str]]()
_PROVISIONER = pytest.StashKey["DatabaseProvisioner"]()
# The configs of this process's pytest sessions (one, except in pytester-style nesting);
# create_env_fixture reaches the provisioner through it while modules are collected.
_ACTIVE: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_PENDING] = []
    # On an xdist worker: what the controller passed on (pytest_configure_node).
    for name, value in getattr(config, "workerinput", {}).items():
        if name.startswith("TALK_TEST_"):
            os.environ[name] = value
    config.addinivalue_line("markers", "integration: needs a real PostgreSQL")
    _ACTIVE.append(config)


def expect_postgres(*, fresh_databases: bool) -> None:
    """Called as a module declares an env with persistence unmocked: the server and its
    template start in the background while pytest goes on collecting."""
    if _ACTIVE:
        provisioner = _provisioner(_ACTIVE[-1])
        provisioner.begin(fresh_databases=fresh_databases)


# The test directories whose modules need PostgreSQL: their tests are marked
# `integration` (-m selects them). Declared, not guessed from a module's text: collecting one
# starts the server before the module is imported, so it comes up while the module's
# own imports (SQLAlchemy, the container: most of a run's start-up) still run. A
# module elsewhere that declares an env with persistence unmocked starts it on import.
POSTGRES_DIRS = frozenset({"integration", "e2e", "browser", "interop"})


def pytest_collectstart(collector: pytest.Collector) -> None:
    # Only for what is really collected (not for siblings of a selected path): a module
    # just before its import, a directory just before its conftest's.
    if not isinstance(collector, (pytest.Module, pytest.Directory)):
        return
    root = collector.config.rootpath
    where = collector.path.relative_to(root).parts if collector.path.is_relative_to(root) else ()
    if POSTGRES_DIRS.intersection(where):
        expect_postgres(fresh_databases=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if POSTGRES_DIRS.intersection(item.path.parent.parts):
            item.add_marker(pytest.mark.integration)


def _provisioner(config: pytest.Config) -> DatabaseProvisioner:
    provisioner = config.stash.get(_PROVISIONER, None)
    if provisioner is None:
        from tests.harness.provisioner import DatabaseProvisioner

        provisioner = DatabaseProvisioner(lambda line: _report(config, line))
        config.stash[_PROVISIONER] = provisioner
    return provisioner


def _report(config: pytest.Config, line: str) -> None:
    if hasattr(config, "workerinput"):
        config.stash[_PENDING].append(line)
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    # Fixture output is captured; this line is meant for the person running tests.
    with capture.global_and_fixture_disabled() if capture else nullcontext():
        reporter.write_line(line)


@dataclass(frozen=True)
class HarnessSession:
    """What every env of a test session shares: the database provisioner, and the
    dependency containers built once per set of unmocked groups and isolation
    (tests/harness/env.py fills `containers`). One fixture, not two: every fixture an
    env depends on costs each test a lookup in pytest's fixture machinery."""

    databases: DatabaseProvisioner
    # The session's event loop: the one test bodies run on (loop_scope="session"), and
    # where an env opens and closes what it holds.
    loop: asyncio.AbstractEventLoop
    containers: dict[object, Any] = field(default_factory=dict)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def talk_session() -> AsyncIterator[HarnessSession]:
    # No `pytestconfig` argument: pytest looks a cached fixture's arguments up again at
    # every use, so each test's env would pay for it (the session's config is _ACTIVE's).
    session = HarnessSession(_provisioner(_ACTIVE[-1]), asyncio.get_running_loop())
    try:
        yield session
    finally:
        try:
            for container in session.containers.values():
                await container.close()
        finally:
            await session.databases.close()


@pytest.fixture(scope="session")
def talk_databases(talk_session: HarnessSession) -> DatabaseProvisioner:
    """The provisioner, for a test that handles the server itself (the fault tests)."""
    return talk_session.databases


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and "talk_session" in getattr(item, "fixturenames", ()):
        _explain_lost_database(item, report)
    pending = item.config.stash.get(_PENDING, [])
    if pending:
        report.user_properties.extend((_PROPERTY, line) for line in pending)
        pending.clear()


def _explain_lost_database(item: pytest.Item, report: pytest.TestReport) -> None:
    """A test that failed because PostgreSQL died says so, and the run stops: every
    later test would only fail the same way."""
    provisioner = item.config.stash.get(_PROVISIONER, None)
    if provisioner is None or provisioner.started is None:
        return
    # The session loop is not running between phases; probe on a private loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        if pool.submit(asyncio.run, provisioner.answers()).result(timeout=10):
            return
    message = (
        f"the test database went away: PostgreSQL from {provisioner.started.source} "
        f"stopped answering during {item.nodeid}; stopping the run"
    )
    report.sections.append((_PROPERTY, message))
    item.session.shouldstop = message
    _report(item.config, f"talk-backend tests: {message}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Controller side of xdist: print what workers attached, then drop it from the report.
    config = _CONTROLLER.get("config")
    lines = [value for name, value in report.user_properties if name == _PROPERTY]
    if config is None or not lines:
        return  # on a worker: the properties must travel to the controller intact
    report.user_properties[:] = [p for p in report.user_properties if p[0] != _PROPERTY]
    worker = getattr(report, "node", None)
    prefix = f"[{worker.gateway.id}] " if worker is not None else ""  # xdist's WorkerController
    for line in lines:
        _report(config, f"{prefix}{line}")


# The hook above receives no config; the controller's is kept here for it.
_CONTROLLER: dict[str, pytest.Config] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    # After every xdist worker has finished: their shared server has no user left.
    if not hasattr(session.config, "workerinput") and session.config.pluginmanager.has_plugin(
        "dsession"
    ):
        from talk_backend.devtools import liveness
        from tests.harness.postgres import embedded

        embedded.remove_run_server(liveness.this_run())


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist's controller names its run to each worker: the workers' shared server is
    named after it, and lives as long as the controller's run does."""
    from talk_backend.devtools import liveness
    from tests.harness.postgres import embedded

    node.workerinput[embedded.XDIST_RUN_VARIABLE] = liveness.this_run()


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        _CONTROLLER["config"] = session.config


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Stops a server started while collecting that no test used (every test that
    needed it was deselected), then leaves no empty temporary directories behind:
    pytest keeps the parent of its basetemp. Only the controller tidies, after every
    worker is gone; rmdir removes a directory only when it is empty."""
    with contextlib.suppress(ValueError):
        _ACTIVE.remove(config)
    provisioner = config.stash.get(_PROVISIONER, None)
    if provisioner is not None and not provisioner.closed:
        asyncio.run(provisioner.close())
    if hasattr(config, "workerinput"):
        return
    temp = Path(tempfile.gettempdir())
    from talk_backend.devtools import embedded_server

    embedded_server.remove_idle_lock_dirs()
    with contextlib.suppress(OSError):
        (temp / f"pytest-of-{getpass.getuser()}").rmdir()
