"""Crashing a server on purpose, for the fault tests. (Whether a run is alive is
liveness.py's question, never a pid's.)"""

from __future__ import annotations

import contextlib
import os

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
    files, system_v = embedded_leftovers.shared_memory_of([proc.pid for proc in procs])
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(procs, timeout=5)
    for path in files:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    for key, shmid in system_v:
        embedded_leftovers.remove_segment(key, shmid, timeout=5)
