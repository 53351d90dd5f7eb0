"""A throwaway PostgreSQL from the pgserver wheel: no Docker, no system packages.

Its data directory is named after the owning pytest process; pgserver starts the
server detached, so a SIGKILLed run leaves it running, and the next run stops it."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL

from tests.harness.postgres import reuse
from tests.harness.postgres.processes import alive, crash_postmaster, kill_postmaster
from tests.harness.postgres.readiness import PostgresNotReady, wait_until_ready
from tests.harness.postgres.server import PostgresServer, asyncpg_connect_kwargs

TEMP_PREFIX = "talk-test-pg-"
# Data on tmpfs, as in the container: cloning and dropping databases cost several
# times less than on the disk, and durability is worthless here. Short paths: the
# unix socket lives inside the data directory and socket paths are length-limited.
# Under Bazel, TEST_TMPDIR: the test's own directory (Bazel removes it, a sandbox
# lets the test write there); pgserver puts the socket elsewhere when it is too long.
DATA_ROOT = (
    Path(os.environ["TEST_TMPDIR"])
    if os.environ.get("TEST_TMPDIR")
    else Path("/dev/shm")
    if os.access("/dev/shm", os.W_OK)
    else Path("/tmp")
)
# Outside TEMP_PREFIX's pattern of owner pids, so dead-run cleanup never touches it.
REUSE_DIR = DATA_ROOT / "talk-test-pg-reuse"


def start_embedded() -> PostgresServer:
    remove_dead_runs()
    if reuse.enabled():
        with reuse.start_lock():
            return _start(REUSE_DIR, owned=False, kind="reused across runs")
    controller = xdist_controller_pid()
    if controller is not None:
        # xdist workers share one server for the run (one start, one migration);
        # the controller removes it when the session ends (remove_run_server).
        with reuse.start_lock():
            return _start(_run_dir(controller), owned=False, kind="shared by xdist workers")
    pgdata = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=DATA_ROOT))
    return _start(pgdata, owned=True)


def _start(pgdata: Path, *, owned: bool, kind: str = "") -> PostgresServer:
    started = time.monotonic()
    if not owned:
        warm = _warm(pgdata, kind)
        if warm is not None:
            return warm
    import pgserver  # imported late: only this source needs it

    try:
        pgdata.mkdir(exist_ok=True)
        server = pgserver.get_server(  # type: ignore[attr-defined]
            pgdata, cleanup_mode="delete" if owned else None
        )
        url = _url(Path(server.get_postmaster_info().socket_dir))
        version = asyncio.run(_ready_and_tuned(url))
    except BaseException:
        if owned:
            _remove(pgdata)
        raise

    def stop() -> None:
        try:
            server.cleanup()
        finally:
            _remove(pgdata)  # also when the server had crashed and cleanup gave up

    return PostgresServer(
        source="embedded (pgserver)" + (f", {kind}" if kind else ""),
        url=url,
        ready_seconds=time.monotonic() - started,
        version=version,
        _stop=stop if owned else None,
        _kill=lambda: crash_postmaster(_postmaster_pid(pgdata) or 0),
    )


async def _ready_and_tuned(url: URL) -> str:
    """Waits for the server, then turns off durability a throwaway server does not
    need (the container gets the same flags on its command line): it makes commits,
    CREATE DATABASE and DROP DATABASE several times cheaper."""
    version = await wait_until_ready(url, timeout=30)
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    try:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            await conn.execute(f"ALTER SYSTEM SET {setting} = off")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()
    return version


def xdist_controller_pid() -> int | None:
    """The pytest controller's pid in an xdist worker (its parent), else None."""
    return os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else None


def _run_dir(controller: int) -> Path:
    # Named like owned data directories, so a dead controller's server is swept too.
    return DATA_ROOT / f"{TEMP_PREFIX}{controller}-xdist"


def remove_run_server(controller: int) -> None:
    """Stops the server this controller's xdist workers shared, if they started one."""
    _remove(_run_dir(controller))


def _warm(pgdata: Path, kind: str) -> PostgresServer | None:
    """A server already running in `pgdata`, answering within a second, or None."""
    started = time.monotonic()
    pid = _postmaster_pid(pgdata)
    lines = _postmaster_lines(pgdata)
    if pid is None or not alive(pid) or len(lines) < 5:
        return None
    url = _url(Path(lines[4]))
    try:
        version = asyncio.run(wait_until_ready(url, timeout=1.0))
    except PostgresNotReady:
        return None
    return PostgresServer(
        source=f"embedded (pgserver), {kind}",
        url=url,
        ready_seconds=time.monotonic() - started,
        version=version,
        reused=True,
        _kill=lambda: crash_postmaster(pid),
    )


def _url(socket_dir: Path) -> URL:
    return URL.create(
        "postgresql+asyncpg",
        username="postgres",
        database="postgres",
        query={"host": str(socket_dir)},
    )


def _postmaster_lines(pgdata: Path) -> list[str]:
    try:
        return (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return []


def _postmaster_pid(pgdata: Path) -> int | None:
    lines = _postmaster_lines(pgdata)
    return int(lines[0]) if lines and lines[0].strip().isdigit() else None


def _remove(pgdata: Path) -> None:
    pid = _postmaster_pid(pgdata)
    if pid is not None and alive(pid):
        kill_postmaster(pid)
    shutil.rmtree(pgdata, ignore_errors=True)


def remove_dead_runs() -> int:
    """Stops servers and deletes data directories of pytest runs that no longer exist."""
    removed = 0
    for pgdata in DATA_ROOT.glob(f"{TEMP_PREFIX}*-*"):
        owner = pgdata.name[len(TEMP_PREFIX) :].split("-")[0]
        if owner.isdigit() and not alive(int(owner)):
            _remove(pgdata)
            removed += 1
    return removed


def remove_reused() -> None:
    """Stops the server kept by TALK_TEST_REUSE=1 and deletes its data."""
    _remove(REUSE_DIR)
