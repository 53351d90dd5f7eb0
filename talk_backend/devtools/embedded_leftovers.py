"""What a killed `serve` leaves of its embedded PostgreSQL, found and removed on the
next start.

Each run's data directory is <tmp>/talk-dev-pg-XXXX, with a sibling owner file
(talk-dev-pg-XXXX.owner) that the `serve` process holds locked while it lives
(devtools/liveness.py): any other run, in whatever PID namespace or container, can tell
a live owner from a dead one, which a pid cannot. A directory whose owner is dead is a
leftover. Its postmaster (named in postmaster.pid, and checked to be a postgres serving
that very directory) gets an immediate shutdown (SIGQUIT): PostgreSQL then stops every
backend and releases its own shared memory. A postmaster that was itself killed leaves
its System V segment behind; postmaster.pid names it, and it is removed once nothing is
attached. A postmaster in a PID namespace this process cannot see is not signalled: it
shuts itself down once its data directory is gone (PostgreSQL rechecks postmaster.pid).

Only PostgreSQL's files are read, never the embedding package's, so this holds whichever
package provides the binaries. Linux only (/proc, flock), like the dev server itself."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import signal
import time
from pathlib import Path

from talk_backend.devtools import liveness

PREFIX = "talk-dev-pg-"
_IPC_RMID = 0
_POSIX_SEGMENTS = "/dev/shm/PostgreSQL."  # noqa: S108 (PostgreSQL's names, not ours)
_DELETED = " (deleted)"  # maps' mark of a file already unlinked


def remove_leftovers(root: Path, prefix: str = PREFIX) -> list[Path]:
    """Stops and deletes every data directory `prefix`* in `root` whose owner is dead;
    returns them.

    Directories without an owner file (another tool's, or a run that predates this
    marking) are left alone: nothing says they are dead."""
    liveness.sweep_unfinished(root)
    removed = []
    for marker in sorted(root.glob(f"{prefix}*{liveness.OWNER_SUFFIX}")):
        data_dir = marker.with_name(marker.name.removesuffix(liveness.OWNER_SUFFIX))
        if liveness.sweep_if_dead(data_dir, functools.partial(remove_data_dir, data_dir)):
            removed.append(data_dir)
    return removed


def remove_data_dir(data_dir: Path) -> None:
    """Stops the PostgreSQL serving `data_dir`, if any, and deletes the directory."""
    stop_postmaster(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


def postmaster_of(data_dir: Path) -> int | None:
    """The pid of the postmaster serving `data_dir`, when this process can see it.

    postmaster.pid's number is trusted only when /proc shows that very process to be a
    postgres started on that directory: in another PID namespace the number names
    another process or none."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if _is_postmaster_of(pid, data_dir) else None


def stop_postmaster(data_dir: Path, timeout: float = 5.0) -> None:
    """Stops the PostgreSQL serving `data_dir`, if any, and frees its shared memory."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return
    if _is_postmaster_of(pid, data_dir):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)
        if not _gone(pid, timeout):
            for child in children(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _gone(pid, timeout)
    # Line 7 of postmaster.pid: the System V segment's key and id.
    if len(lines) > 6 and len(lines[6].split()) == 2:
        key, shmid = (int(part) for part in lines[6].split())
        remove_segment(key, shmid, timeout)


def _is_postmaster_of(pid: int, data_dir: Path) -> bool:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return (
        bool(args)
        and os.path.basename(args[0]) in (b"postgres", b"postmaster")
        and os.fsencode(str(data_dir)) in args
    )


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a postmaster's backends), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command name in parentheses may hold spaces: the fields after it.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def shared_memory_of(pids: list[int]) -> tuple[set[Path], set[tuple[int, int]]]:
    """The shared memory these processes have mapped, read from /proc/PID/maps: the
    POSIX files /dev/shm/PostgreSQL.*, and the System V segments as (key, shmid) (maps
    names each /SYSV<key in hex>, with the segment's id as the inode). Only a
    postmaster's backends map its statistics segments: pass them too."""
    files: set[Path] = set()
    system_v: set[tuple[int, int]] = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
                fields = line.split(maxsplit=5)
                if len(fields) < 6:
                    continue
                if fields[5].startswith(_POSIX_SEGMENTS) and not fields[5].endswith(_DELETED):
                    files.add(Path(fields[5]))
                elif fields[5].startswith("/SYSV"):
                    system_v.add((int(fields[5].split()[0][len("/SYSV") :], 16), int(fields[4])))
    return files, system_v


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.05)
    return not Path(f"/proc/{pid}").exists()


def remove_segment(key: int, shmid: int, timeout: float) -> None:
    """Removes the System V segment if it is still there under that key and no process
    is attached any more (backends of a killed postmaster detach as they exit)."""
    deadline = time.monotonic() + timeout
    while True:
        attached = attached_to(key, shmid)
        if attached is None:
            return
        if attached == 0:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.shmctl(shmid, _IPC_RMID, None)
            return
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)


def attached_to(key: int, shmid: int) -> int | None:
    """How many processes have the System V segment attached; None: it is gone."""
    try:
        rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return None
    for row in rows:
        fields = row.split()
        if int(fields[0]) == key and int(fields[1]) == shmid:
            return int(fields[6])
    return None
