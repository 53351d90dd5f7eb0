"""pytest plugin: the session-wide database provisioner behind create_env_fixture."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import nullcontext

import pytest
import pytest_asyncio

from tests.harness.provisioner import DatabaseProvisioner


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def talk_databases(pytestconfig: pytest.Config) -> AsyncIterator[DatabaseProvisioner]:
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")

    def report(line: str) -> None:
        if reporter is None:  # xdist workers have no terminal of their own
            print(line, file=sys.stderr)
            return
        # Fixture output is captured; this line is meant for the person running tests.
        with capture.global_and_fixture_disabled() if capture else nullcontext():
            reporter.write_line(line)

    provisioner = DatabaseProvisioner(report)
    yield provisioner
    await provisioner.close()
