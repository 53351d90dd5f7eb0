"""The full integration suite, 20 times in a row: nothing left behind, and no
slowdown (a leak of servers, connections or databases shows up as both)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import pytest

from tests.faults.runs import REPO, child_env, leftovers

RUNS = 20
# Wall-clock noise on a shared 2-core machine reaches tens of percent, so only a
# gross trend fails: the last five runs' median above twice the first five's.
SLOWDOWN_FACTOR = 2.0
_SUITE = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


@pytest.mark.slow
def test_twenty_runs_leave_nothing_and_do_not_slow_down(tmp_path):
    durations: list[float] = []
    for n in range(RUNS):
        started = time.monotonic()
        proc = subprocess.Popen(
            [*_SUITE, "tests/integration"],
            cwd=REPO,
            env=child_env(TMPDIR=str(tmp_path)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        out, _ = proc.communicate(timeout=300)
        durations.append(time.monotonic() - started)
        assert proc.returncode == 0, f"run {n + 1}:\n{out[-4000:]}"
        assert leftovers(proc.pid) == [], f"run {n + 1} left {leftovers(proc.pid)}"
    first, last = statistics.median(durations[:5]), statistics.median(durations[-5:])
    assert last < first * SLOWDOWN_FACTOR, f"runs slowed down: {durations}"
