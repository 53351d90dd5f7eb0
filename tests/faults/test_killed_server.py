"""PostgreSQL killed in the middle of a test: that test fails soon, says the
database went away, the run stops, and nothing is left behind."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.faults.runs import (
    SOURCES,
    leftovers,
    require_source,
    run_pytest,
    write_suite,
)

pytestmark = pytest.mark.slow  # child pytest runs that start servers: ~5-15 s each

SUITE = """
@pytest.mark.asyncio(loop_scope="session")
async def test_a_crash_mid_test(integration_env, talk_databases):
    print("CHILD_PID", os.getpid())
    await integration_env.execute("CREATE TABLE t (x int)")
    # Line 7 of postmaster.pid: the server's System V segment, which a kill leaves.
    pid_file = await integration_env.fetch("SELECT pg_read_file('postmaster.pid')")
    print("SYSTEM_V", pid_file[0][0].splitlines()[6])
    (await talk_databases.server()).kill()
    await integration_env.fetch("SELECT 1")

@pytest.mark.asyncio(loop_scope="session")
async def test_b_never_runs(integration_env):
    await integration_env.fetch("SELECT 1")
"""


@pytest.mark.parametrize("source", SOURCES)
def test_killed_server_fails_the_test_clearly_and_leaves_nothing(tmp_path, source):
    require_source(source)
    write_suite(tmp_path, SUITE)

    started = time.monotonic()
    code, out = run_pytest(tmp_path, timeout=90, TALK_TEST_POSTGRES=source)
    elapsed = time.monotonic() - started

    assert code == 2, out  # pytest's "interrupted": the run was stopped on purpose
    assert "the test database went away" in out, out
    assert "1 failed" in out and "test_b_never_runs" not in out.split("short test summary")[-1]
    assert elapsed < 60, f"took {elapsed:.0f} s"  # a bound on hanging, not a speed target
    pid = int(re.search(r"CHILD_PID (\d+)", out).group(1))  # type: ignore[union-attr]
    assert leftovers(pid) == []
    if source == "embedded":  # a container's segments go with its IPC namespace
        key, shmid = re.search(r"SYSTEM_V +(-?\d+) +(\d+)", out).groups()  # type: ignore[union-attr]
        segments = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
        assert [key, shmid] not in [row.split()[:2] for row in segments], "System V segment left"
