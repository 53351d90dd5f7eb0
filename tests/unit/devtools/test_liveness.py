"""Whether an owner is alive is told by the lock it holds, for every process that can
see its owner file: the owner in another PID namespace, a dead owner whose pid now
names a live process, a run made where this process cannot judge it.

The owners are real child processes; where the machine lets us (root, or user
namespaces), one of them runs in a PID namespace of its own, as under Bazel's sandbox."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from talk_backend.devtools import liveness
from tests.child_process import OWN_PID_NAMESPACE, REPO, require_pid_namespace, start_python

HOLDER = """
import sys
import time
from pathlib import Path
from talk_backend.devtools import liveness
from tests.child_process import OWN_PID_NAMESPACE, require_pid_namespace, start_python
if sys.argv[1] == "run":
    print(liveness.this_run(), flush=True)
else:
    liveness.hold(Path(sys.argv[1]))
    print("held", flush=True)
sys.stdin.read()
"""


def _holder(arg: str, namespaced: bool) -> tuple[subprocess.Popen[str], str]:
    return start_python(HOLDER, arg, prefix=OWN_PID_NAMESPACE if namespaced else ())


def _kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL of the owner: nothing of its own cleanup runs. Under unshare the owner is
    the namespace's first process, and unshare exits once it is gone."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    for pid in [*map(int, children), proc.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if pid != proc.pid:
            _wait_gone(pid)
    proc.wait(10)


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize("namespaced", [False, True], ids=["same namespace", "own PID namespace"])
def test_a_live_owner_is_never_swept_and_a_killed_one_is(tmp_path, namespaced):
    if namespaced:
        require_pid_namespace()
    thing = tmp_path / "data"
    thing.mkdir()
    removed: list[Path] = []
    proc, line = _holder(str(thing), namespaced)
    try:
        assert line == "held"
        assert liveness.held(thing)
        assert not liveness.sweep_if_dead(thing, lambda: removed.append(thing))
        assert removed == []
        assert liveness.owner_file(thing).exists()
    finally:
        _kill(proc)
    assert not liveness.held(thing)
    assert liveness.sweep_if_dead(thing, lambda: removed.append(thing))
    assert removed == [thing]
    assert not liveness.owner_file(thing).exists()


def test_an_owner_file_naming_a_live_pid_but_not_held_is_dead(tmp_path):
    # What the old sweep trusted: the pid (ours, alive) says nothing about the owner.
    thing = tmp_path / "data"
    liveness.owner_file(thing).write_text(f"{liveness.description(os.getpid())}\n")
    assert not liveness.held(thing)
    assert liveness.sweep_if_dead(thing, lambda: None)
    assert not liveness.owner_file(thing).exists()


def test_a_thing_without_an_owner_file_is_left_alone(tmp_path):
    thing = tmp_path / "data"
    thing.mkdir()
    assert not liveness.held(thing)  # as its docstring says (it once said True)
    assert not liveness.sweep_if_dead(thing, lambda: pytest.fail("swept an unowned thing"))
    assert thing.exists()


def test_this_process_holds_what_it_holds_and_gives_it_up(tmp_path):
    thing = tmp_path / "data"
    liveness.hold(thing)
    try:
        assert liveness.held(thing)
        assert liveness.owner_file(thing).read_text().strip() == liveness.description(os.getpid())
        assert list(tmp_path.iterdir()) == [liveness.owner_file(thing)]  # no temporary left
    finally:
        liveness.release(thing)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("namespaced", [False, True], ids=["same namespace", "own PID namespace"])
def test_a_run_is_alive_while_its_process_lives(namespaced):
    if namespaced:
        require_pid_namespace()
    proc, run = _holder("run", namespaced)
    try:
        assert run.startswith("r") and len(run) == 21
        assert liveness.run_alive(run)
    finally:
        _kill(proc)
    assert not liveness.run_alive(run)
    liveness.sweep_dead_runs()
    assert not list(liveness.runs_dir().glob(f"*{run}*"))


def test_a_run_made_where_this_process_cannot_look_is_not_judged():
    mine = liveness.this_run()
    elsewhere = "r" + ("0" * 8 if mine[1:9] != "0" * 8 else "1" * 8) + mine[9:]
    assert liveness.run_alive(elsewhere)  # no owner file here, yet not provably dead
    assert liveness.run_alive("not-a-run-name")
    assert liveness.run_alive(mine)


FORKER = """
import os, sys
from talk_backend.devtools import liveness
parent = liveness.this_run()
pid = os.fork()
if pid == 0:
    print("child", liveness.this_run(), flush=True)
    sys.exit(0)  # runs the atexit handlers it inherited
os.waitpid(pid, 0)
mine = liveness.owner_file(liveness.runs_dir() / f"talk-run-{parent}")
print("parent", parent, liveness.this_run() == parent, mine.exists(), flush=True)
"""


def test_a_forked_child_is_a_run_of_its_own_and_leaves_its_parents_alone():
    """mutmut forks a pytest session per mutant from a process that has run tests: two
    children with their parent's run name made the same database names and dropped
    each other's (a mutant's tests failing for that counted as killed)."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", FORKER],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": path},
    )
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    child = lines["child"]
    parent, same, owner_file_kept = lines["parent"].split()
    assert child != parent and child.startswith("r") and len(child) == 21
    assert same == "True"  # the parent keeps its name
    assert owner_file_kept == "True"  # the child's exit did not release the parent's run
