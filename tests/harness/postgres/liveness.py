"""Which test runs are alive, without PIDs.

Each run holds a lock for as long as its process lives: an abstract unix socket
bound to a name of its own (Linux). The kernel releases it when the process ends,
however it ends, and nothing is left on disk. Another run on the same host tells
whether that run is alive by trying to bind the same name. PIDs cannot do this
under Bazel: each sandboxed test has a PID namespace of its own, where the same
numbers name other processes. (Tests that start containers keep the host's network
namespace, `requires-network`, which is what abstract socket names live in.)"""

from __future__ import annotations

import socket
import uuid

_PREFIX = "talk-backend.test."
_held: dict[str, socket.socket] = {}  # this run's lock, for the life of the process


def this_run() -> str:
    """This process's run name; the lock is taken on the first call."""
    if not _held:
        name = _PREFIX + uuid.uuid4().hex[:16]
        lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lock.bind("\0" + name)
        _held[name] = lock
    return next(iter(_held))


def held(name: str) -> bool:
    """Whether the run called `name` is still alive (holds its lock)."""
    if not name.startswith(_PREFIX):
        return True  # not ours to judge: leave it
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.bind("\0" + name)
    except OSError:
        return True  # address in use: the run holds it
    finally:
        probe.close()
    return False
