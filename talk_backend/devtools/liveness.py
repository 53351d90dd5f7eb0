"""Whether the owner of something a run leaves on the machine (a data directory, a
container, a database) is still alive: the one test every sweep of leftovers uses.

An owner holds an exclusive flock on an owner file for as long as its process lives;
the kernel drops the lock when the process ends, however it ends. Any process that can
open the file tells whether the owner lives by trying the same lock, whatever PID
namespace, container or user it runs in. A PID cannot do this: in another PID namespace
(a Bazel sandbox, a container sharing /dev/shm) the same number names another process
or none, and a sweep that trusted it deleted a live server's data.

Two uses:
- An owner file beside the thing it guards (`hold(path)`): whoever can see the thing
  can see its owner file.
- A run name (`this_run()`) for things that live elsewhere (containers, databases on a
  shared server), backed by an owner file talk-run-<name>.owner in a directory every
  process of the host shares (/dev/shm, else /tmp). The name carries which directory
  it was made in: a process that sees another one (a container's own /dev/shm) cannot
  judge that run, so it leaves its things alone. Only what is provably dead is swept."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

OWNER_SUFFIX = ".owner"
# A fixed place every process on the host shares (not TMPDIR: Bazel gives each test its
# own). /dev/shm first: Bazel's sandboxes and containers started with the host's
# /dev/shm see it too. No directory of our own: it would be one more thing left behind.
_RUNS_DIR_CANDIDATES = (Path("/dev/shm"), Path("/tmp"))  # noqa: S108 (shared is the point)
_RUN_FILE_PREFIX = "talk-run-"
_RUN_NAME = re.compile(r"^r([0-9a-f]{8})([0-9a-f]{12})$")

_held: dict[Path, int] = {}  # owner file -> locked descriptor, for the life of the process
_run: list[str] = []


def _forked_child() -> None:
    """A forked child is a run of its own, holding nothing. mutmut forks a pytest
    session per mutant from a process that has run tests: with its parent's run name,
    two children made the same database names and each dropped the other's. The
    parent's owner files stay the parent's: the child neither deletes nor unlocks them
    (the inherited descriptors only close with the child)."""
    _run.clear()
    _held.clear()


os.register_at_fork(after_in_child=_forked_child)


def owner_file(thing: Path) -> Path:
    return thing.with_name(thing.name + OWNER_SUFFIX)


def hold(thing: Path) -> None:
    """Marks `thing` as this process's for as long as it lives.

    The owner file appears already locked (made under a temporary name, locked, then
    renamed), so no sweep ever sees it unlocked while its owner lives."""
    final = owner_file(thing)
    temporary = final.with_name(f"{final.name}.{uuid.uuid4().hex[:8]}.new")
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # For people reading the directory; nothing decides anything by these numbers.
        os.write(fd, f"{description(os.getpid())}\n".encode())
        os.rename(temporary, final)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    _held[final] = fd


def release(thing: Path) -> None:
    """Gives `thing` up: its owner file goes, then the lock."""
    final = owner_file(thing)
    with contextlib.suppress(FileNotFoundError):
        final.unlink()
    fd = _held.pop(final, None)
    if fd is not None:
        os.close(fd)


def held_here() -> list[Path]:
    """The owner files this process holds."""
    return list(_held)


def held(thing: Path) -> bool:
    """Whether a live process holds `thing`'s owner file. No owner file: not held."""
    return _probe(owner_file(thing), remove=None) is True


def sweep_if_dead(thing: Path, remove: Callable[[], None]) -> bool:
    """Calls `remove` and deletes the owner file when `thing`'s owner is dead; True then.

    The lock is held meanwhile, so two sweeps never remove the same thing, and a thing
    without an owner file is left alone: nothing says it is dead."""
    return _probe(owner_file(thing), remove=remove) is False


def sweep_unfinished(directory: Path) -> None:
    """Owner files a process died making (still under their temporary name)."""
    for temporary in directory.glob(f"*{OWNER_SUFFIX}.*.new"):
        _probe(temporary, remove=lambda: None)


def _probe(path: Path, remove: Callable[[], None] | None) -> bool | None:
    """True: held by a live process; False: its owner is dead (and, with `remove`,
    what it owned is gone); None: there is no such owner file."""
    if path in _held:
        return True
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        # Between our open and our lock, another sweep may have removed this file (and
        # an owner made a new one under the same name): judge only the file still there.
        try:
            if os.stat(path).st_ino != os.fstat(fd).st_ino:
                return None
        except FileNotFoundError:
            return None
        if remove is not None:
            remove()
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return False
    finally:
        os.close(fd)


def runs_dir() -> Path:
    for candidate in _RUNS_DIR_CANDIDATES:
        if candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    raise OSError(f"none of {', '.join(map(str, _RUNS_DIR_CANDIDATES))} is writable")


def _where(directory: Path) -> str:
    """Which RUNS_DIR this is: the same directory has the same device and inode in
    every namespace and container that shares it; another tmpfs has another device."""
    info = directory.stat()
    return hashlib.sha256(f"{info.st_dev}:{info.st_ino}".encode()).hexdigest()[:8]


def this_run() -> str:
    """This process's run name (lowercase letters and digits, 21 characters: fit for
    database names and labels); the owner file is made on the first call."""
    if not _run:
        directory = runs_dir()
        name = f"r{_where(directory)}{uuid.uuid4().hex[:12]}"
        hold(directory / (_RUN_FILE_PREFIX + name))
        atexit.register(_release_if_mine, directory / (_RUN_FILE_PREFIX + name), os.getpid())
        _run.append(name)
    return _run[0]


def _release_if_mine(thing: Path, pid: int) -> None:
    # atexit handlers run in a forked child too: only the process that made it releases.
    if os.getpid() == pid:
        release(thing)


def run_alive(name: str) -> bool:
    """Whether the run called `name` still lives. A name this process cannot judge (not
    a run name, or made in a RUNS_DIR it does not see) counts as alive."""
    match = _RUN_NAME.match(name)
    if match is None:
        return True
    directory = runs_dir()
    if match.group(1) != _where(directory):
        return True
    return _probe(owner_file(directory / (_RUN_FILE_PREFIX + name)), remove=lambda: None) is True


def sweep_dead_runs() -> None:
    """Deletes the owner files of dead runs (after their things are swept, a dead run's
    file is all that is left of it)."""
    directory = runs_dir()
    for temporary in directory.glob(f"{_RUN_FILE_PREFIX}*{OWNER_SUFFIX}.*.new"):
        _probe(temporary, remove=lambda: None)
    for path in directory.glob(f"{_RUN_FILE_PREFIX}*{OWNER_SUFFIX}"):
        _probe(path, remove=lambda: None)


def description(pid: int) -> str:
    """What an owner file of process `pid` of this PID namespace says (for people and the
    fault tests: nothing is decided by it)."""
    return f"pid {pid} in {_pid_namespace()}"


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return "an unknown PID namespace"
