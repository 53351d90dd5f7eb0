"""PostgreSQL that stops answering mid-test (its backend frozen with SIGSTOP): the
harness's one timer per test aborts the connection, the test fails naming the cause,
and the run goes on instead of hanging until CI's own timeout."""

from __future__ import annotations

import time

import pytest

from tests.faults.runs import leftovers, run_pytest, write_suite

pytestmark = pytest.mark.slow  # a child pytest run that starts a server

SUITE = """
import signal

@pytest.mark.asyncio(loop_scope="session")
async def test_a_frozen_backend(integration_env):
    print("CHILD_PID", os.getpid())
    backend = (await integration_env.fetch("SELECT pg_backend_pid()"))[0][0]
    os.kill(backend, signal.SIGSTOP)
    try:
        await integration_env.fetch("SELECT 1")
    finally:
        os.kill(backend, signal.SIGCONT)

@pytest.mark.asyncio(loop_scope="session")
async def test_b_runs_after_it(integration_env):
    assert (await integration_env.fetch("SELECT 1"))[0][0] == 1
"""


def test_a_hung_server_fails_the_test_within_the_timeout(tmp_path):
    write_suite(tmp_path, SUITE)
    started = time.monotonic()
    code, out = run_pytest(tmp_path, TALK_TEST_POSTGRES="embedded", TALK_TEST_DB_TIMEOUT="2")
    elapsed = time.monotonic() - started
    print(f"child run took {elapsed:.1f} s")
    assert code == 1, out
    assert "did not answer within 2 s (TALK_TEST_DB_TIMEOUT)" in out, out
    assert "1 passed" in out and "test_b_runs_after_it" not in out.split("short test")[-1], out
    pid = int(out.split("CHILD_PID ")[1].split()[0])
    assert leftovers(pid) == []
