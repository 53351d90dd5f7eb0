"""TALK_TEST_REUSE=1 keeps one server across runs; xdist workers share a run's
server but never a database; the controller prints where PostgreSQL came from."""

from __future__ import annotations

import re

import pytest

from tests.faults.runs import (
    SOURCES,
    leftovers,
    require_source,
    run_pytest,
    start_pytest,
    write_suite,
)
from tests.harness.postgres.docker import LABEL_REUSE, docker_client
from tests.harness.postgres.embedded import REUSE_DIR, remove_reused

SUITE = """
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("n", range(6))
async def test_own_database(integration_env, n):
    # Same table in every test: only isolated databases/transactions let all pass.
    await integration_env.execute("CREATE TABLE mine (n int)")
    await integration_env.execute("INSERT INTO mine VALUES (:n)", n=n)
    assert len(await integration_env.fetch("SELECT * FROM mine")) == 1
"""


@pytest.fixture
def reuse_cleanup(request):
    """Removes the kept server afterwards, unless one was kept before this test."""
    source = request.node.callspec.params["source"]
    if source == "embedded":
        existed = REUSE_DIR.exists()
        yield
        if not existed:
            remove_reused()
        return
    client = docker_client()
    before = {c.id for c in client.containers.list(all=True, filters={"label": LABEL_REUSE})}
    yield
    for container in client.containers.list(all=True, filters={"label": LABEL_REUSE}):
        if container.id not in before:
            container.remove(force=True, v=True)


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES)
def test_second_run_reuses_server_and_template(tmp_path, source, reuse_cleanup):
    require_source(source)
    write_suite(tmp_path, SUITE)
    lines = []
    for _ in range(2):
        code, out = run_pytest(tmp_path, TALK_TEST_POSTGRES=source, TALK_TEST_REUSE="1")
        assert code == 0, out
        lines.append(next(x for x in out.splitlines() if "talk-backend tests: PostgreSQL" in x))
    assert "reused" in lines[1], lines
    templates = {re.search(r"template (\S+)", line).group(1) for line in lines}  # type: ignore[union-attr]
    assert len(templates) == 1


@pytest.mark.slow
def test_two_workers_pass_print_the_line_and_leave_nothing(tmp_path):
    write_suite(tmp_path, SUITE)
    proc = start_pytest(tmp_path, "-n", "2", TALK_TEST_POSTGRES="embedded")
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out
    assert "6 passed" in out
    assert re.search(r"\[gw\d\] talk-backend tests: PostgreSQL .* shared by xdist workers", out)
    assert leftovers(proc.pid) == []
