"""A generated suite of integration tests, timed at 1 and 2 xdist workers.

Generated into a temporary directory at bench time: 200 committed copies of one
test would only be noise in the repository."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.bench.stats import Row

REPO = Path(__file__).resolve().parents[2]
_INI = """\
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
addopts = -p tests.harness.plugin -p no:cacheprovider
"""
# Each generated test is the suite's typical integration test: a member invites
# someone, who signs in through the fake Bluesky; the rows are checked in SQL.
_HEADER = """\
import pytest
from talk_backend.application.usecase.auth.login import Login
from talk_backend.application.usecase.invites.create import CreateInvite
from tests.factories import ALICE, BOB, seed_member
from tests.harness import create_env_fixture

integration_env = create_env_fixture(unmock={"persistence"})
"""
_TEST = """

@pytest.mark.asyncio(loop_scope="session")
async def test_{i}(integration_env):
    member = await seed_member(integration_env, ALICE, "alice.test")
    invite = await (await integration_env.get(CreateInvite)).execute(member.id, BOB)
    callback = await integration_env.bluesky.authorize(BOB, "bob.test")
    result = await (await integration_env.get(Login)).execute(callback)
    rows = await integration_env.fetch(
        "SELECT accepted_by FROM invites WHERE id = :id", id=invite.id
    )
    assert result.created and rows[0].accepted_by == result.user.id
"""


def _generate(directory: Path, tests: int) -> None:
    (directory / "pytest.ini").write_text(_INI)
    per_file = 20
    for f in range(tests // per_file):
        body = "".join(_TEST.format(i=f * per_file + i) for i in range(per_file))
        (directory / f"test_generated_{f:02d}.py").write_text(_HEADER + body)


def _run(directory: Path, workers: int) -> float:
    args = [sys.executable, "-m", "pytest", "-q", str(directory)]
    if workers > 1:
        args += ["-n", str(workers)]
    else:
        args += ["-p", "no:xdist"]
    env = {"PYTHONPATH": str(REPO), "TALK_TEST_POSTGRES": "embedded", "PATH": "/usr/bin:/bin"}
    began = time.monotonic()
    proc = subprocess.run(args, cwd=directory, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - began
    if proc.returncode != 0:
        raise RuntimeError(f"generated suite failed:\n{proc.stdout[-2000:]}")
    return elapsed


def measure(n: int, tests: int = 200) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="talk-bench-suite-") as tmp:
        directory = Path(tmp)
        _generate(directory, tests)
        rows = []
        for workers in (1, 2):
            samples = [_run(directory, workers) for _ in range(n)]
            rows.append(Row(f"suite: {tests} generated tests, {workers} worker(s), wall", samples))
        return rows
