"""Crashing a server on purpose, for the fault tests. (Whether a run is alive is
liveness.py's question, never a pid's.)"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from talk_backend.devtools import embedded_leftovers


def crash_postmaster(pid: int) -> None:
    """SIGKILL of the postmaster and all its backends: what a crashed server looks like.

    A killed server cannot remove its shared memory: the POSIX segments
    (/dev/shm/PostgreSQL.*) and the small System V segment its postmaster keeps as an
    interlock (`ipcs -m`). Both are read from the processes' memory maps first and
    removed after the kill, so the crash test leaves nothing behind and never touches
    another server's segments."""
    import psutil

    parent = psutil.Process(pid)
    procs = [parent, *parent.children(recursive=True)]
    segments = _shared_memory_segments(procs)
    system_v = system_v_segments(pid)
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(procs, timeout=5)
    for segment in segments:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(segment)
    for key, shmid in system_v:
        embedded_leftovers.remove_segment(key, shmid, timeout=5)


def system_v_segments(pid: int) -> set[tuple[int, int]]:
    """(key, shmid) of the System V segments `pid` has attached: /proc/PID/maps names
    each /SYSV<key in hex>, with the segment's id as the inode."""
    found: set[tuple[int, int]] = set()
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            fields = line.split()
            if len(fields) >= 6 and fields[5].startswith("/SYSV"):
                found.add((int(fields[5][len("/SYSV") :], 16), int(fields[4])))
    return found


def _shared_memory_segments(procs: list[Any]) -> set[str]:
    import psutil

    found: set[str] = set()
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            for mapping in proc.memory_maps(grouped=True):
                if mapping.path.startswith("/dev/shm/PostgreSQL."):
                    found.add(mapping.path)
    return found
