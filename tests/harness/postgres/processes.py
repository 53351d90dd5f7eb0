"""Crashing a server on purpose, for the fault tests. (Whether a run is alive is
liveness.py's question, never a pid's.)"""

from __future__ import annotations

import contextlib
import os
from typing import Any


def crash_postmaster(pid: int) -> None:
    """SIGKILL of the postmaster and all its backends: what a crashed server looks like.

    A killed server cannot remove its POSIX shared-memory segments (/dev/shm/PostgreSQL.*);
    they are read from the processes' memory maps first and removed after the kill, so
    the crash test leaves nothing behind and never touches another server's segments."""
    import psutil

    parent = psutil.Process(pid)
    procs = [parent, *parent.children(recursive=True)]
    segments = _shared_memory_segments(procs)
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(procs, timeout=5)
    for segment in segments:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(segment)


def _shared_memory_segments(procs: list[Any]) -> set[str]:
    import psutil

    found: set[str] = set()
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            for mapping in proc.memory_maps(grouped=True):
                if mapping.path.startswith("/dev/shm/PostgreSQL."):
                    found.add(mapping.path)
    return found
