"""A kept server (the default off CI; TALK_TEST_REUSE=1 here) is found by the next run
of the checkout and used by one run at a time; xdist workers share a run's server but
never a database; the controller prints where PostgreSQL came from."""

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
from tests.harness.postgres import reuse
from tests.harness.postgres.docker import LABEL_REUSE, docker_client
from tests.harness.postgres.embedded import DATA_ROOTS, KEPT_PREFIX, kept_name, remove_kept

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
    require_source(source)  # skips, saying why, before it asks the engine for containers
    if source == "embedded":
        existed = _kept_here()
        yield
        if not existed:
            remove_kept(reuse.checkout_key())
        return
    client = docker_client()
    before = {c.id for c in client.containers.list(all=True, filters={"label": LABEL_REUSE})}
    yield
    for container in client.containers.list(all=True, filters={"label": LABEL_REUSE}):
        if container.id not in before:
            container.remove(force=True, v=True)


def _kept_here() -> bool:
    # any() of each glob: a generator object is always true.
    return any(any(root.glob(f"{KEPT_PREFIX}{reuse.checkout_key()}*")) for root in DATA_ROOTS)


def _source_line(out: str) -> str:
    return next(x for x in out.splitlines() if "talk-backend tests: PostgreSQL" in x)


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES)
def test_second_run_reuses_server_and_template(tmp_path, source, reuse_cleanup):
    require_source(source)
    write_suite(tmp_path, SUITE)
    # This run may hold the checkout's kept server itself (a developer's run of the
    # fault tests): then each child, a concurrent run, must get a server of its own.
    parent_holds = bool(reuse.claimed_here())
    lines = []
    for _ in range(2):
        code, out = run_pytest(tmp_path, TALK_TEST_POSTGRES=source, TALK_TEST_REUSE="1")
        assert code == 0, out
        lines.append(_source_line(out))
    if parent_holds:
        assert all("in use by another run" in line for line in lines), lines
    else:
        assert reuse.KEPT_KIND in lines[1] and "ready in 0." in lines[1], lines
    templates = {re.search(r"template (\S+)", line).group(1) for line in lines}  # type: ignore[union-attr]
    assert len(templates) == 1


@pytest.mark.slow
def test_a_concurrent_run_gets_a_server_of_its_own_and_leaves_nothing(tmp_path):
    """While a run has the kept server, another run of the checkout starts its own
    (never the same server for two runs) and removes it at its end."""
    write_suite(tmp_path, SUITE)
    name = kept_name()
    mine = any(name in p.name for p in reuse.claimed_here())
    if not mine:
        with reuse.start_lock():
            assert reuse.claim(name), "another run is using the kept server"
    existed = _kept_here()
    try:
        proc = start_pytest(tmp_path, TALK_TEST_POSTGRES="embedded", TALK_TEST_REUSE="1")
        out, _ = proc.communicate(timeout=180)
    finally:
        if not mine:
            reuse.release(name)
    assert proc.returncode == 0, out
    assert "its own: the kept server is in use by another run" in _source_line(out)
    assert leftovers(proc.pid) == []
    assert _kept_here() == existed


@pytest.mark.slow
def test_two_workers_pass_print_the_line_and_leave_nothing(tmp_path):
    write_suite(tmp_path, SUITE)
    proc = start_pytest(tmp_path, "-n", "2", TALK_TEST_POSTGRES="embedded")
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out
    assert "6 passed" in out
    assert re.search(r"\[gw\d\] talk-backend tests: PostgreSQL .* shared by the run's", out)
    assert leftovers(proc.pid) == []
