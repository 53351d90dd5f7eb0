"""The full integration suite, 20 times in a row, each run leaving nothing behind (a
leak of servers, containers, databases or directories would pile up run after run).

How long the runs take is not asserted: wall-clock time on a shared machine is noise
to a test, and speed is measured by `make bench`, which prints a table. The durations
are printed here for a reader of the log."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import pytest

from tests.faults.runs import REPO, child_env, leftovers

RUNS = 20
_SUITE = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


@pytest.mark.slow
def test_twenty_runs_leave_nothing_behind(tmp_path, capsys):
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
    with capsys.disabled():
        first, last = statistics.median(durations[:5]), statistics.median(durations[-5:])
        print(f"\nsoak: {RUNS} runs, median of the first five {first:.1f} s, last {last:.1f} s")
