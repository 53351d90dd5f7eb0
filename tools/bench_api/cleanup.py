"""What the embedded PostgreSQL leaves outside its data directory."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def runtime_dir_removed() -> Iterator[None]:
    """pgserver's lock lands in platformdirs' fallback runtime dir: removed if made here."""
    runtime = Path(f"/tmp/runtime-{os.getuid()}")
    existed = runtime.exists()
    try:
        yield
    finally:
        if not existed:
            shutil.rmtree(runtime, ignore_errors=True)
