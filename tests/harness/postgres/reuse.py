"""Opt-in reuse of one server across runs (TALK_TEST_REUSE=1).

A reused server is owned by no run: it is found by a key of its settings, never
stopped by the harness, and shared by xdist workers and Bazel shards. Each run still
works in its own clone databases, so sharing the server shares no data."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

# flock on the temp directory itself: a lock file would be one more thing left behind,
# and deleting a lock file while another process holds it would break the lock.
# A fixed path, not TMPDIR: Bazel gives every test its own TMPDIR, and shards must share it.
LOCK_PATH = Path("/tmp")


def enabled() -> bool:
    return os.environ.get("TALK_TEST_REUSE", "").strip().lower() in ("1", "true", "yes")


def settings_key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


@contextlib.contextmanager
def start_lock(timeout: float = 60.0) -> Iterator[None]:
    """Serialises find-or-start across processes, so parallel workers share one server."""
    handle = os.open(LOCK_PATH, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{LOCK_PATH} held for more than {timeout:.0f} s") from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)
