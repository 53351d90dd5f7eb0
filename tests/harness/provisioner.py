"""Session-wide PostgreSQL for the harness: started in the background as soon as a
collected module asks for a real database, torn down at the end.

Unit tests never touch it, so a unit-only run starts no server. Every pytest process
(an xdist worker, a Bazel shard) has its own provisioner and so its own databases."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncEngine

    from tests.harness.postgres.server import PostgresServer

# asyncpg, SQLAlchemy, Alembic and the server sources are imported where they are used,
# in the start-up thread first: the main thread is importing the test modules meanwhile.

# Fresh databases cloned ahead of time for isolation="database" (as IntegreSQL does).
# Bounded: every clone is about 8 MB of the data directory's tmpfs.
POOL_SIZE = max(1, int(os.environ.get("TALK_TEST_DB_POOL", "2")))


class ProvisioningFailed(RuntimeError):
    pass


class DatabaseProvisioner:
    def __init__(self, report: Callable[[str], None]) -> None:
        self._report = report
        self._startup: concurrent.futures.Future[_Started] | None = None
        self._wants_pool = False
        self.closed = False
        self._start_lock = threading.Lock()
        self._server: PostgresServer | None = None
        self._failure: BaseException | None = None
        self._template: str | None = None
        self._session_db: str | None = None
        self._session_url: URL | None = None
        self._session_engine: AsyncEngine | None = None
        self._counter = itertools.count()
        # Clones ready to hand out, and the one task refilling them; drops still running.
        # A test waits for none of these unless the pool ran dry.
        self._pool: deque[tuple[str, URL]] = deque()
        self._filler: asyncio.Task[None] | None = None
        self._drops: set[asyncio.Task[None]] = set()

    @property
    def started(self) -> PostgresServer | None:
        return self._server

    def begin(self, *, fresh_databases: bool = False) -> None:
        """Starts the server, its migrated template and the session's database in a
        thread of their own, so they come up while pytest is still collecting; with
        `fresh_databases`, the pool of clones too. Idempotent."""
        with self._start_lock:
            self._wants_pool |= fresh_databases
            if self._startup is None:
                _import_what_the_thread_needs()
                self._startup = concurrent.futures.Future()
                threading.Thread(
                    target=self._start_in_thread, name="talk-postgres-start", daemon=True
                ).start()

    def _start_in_thread(self) -> None:
        assert self._startup is not None
        log: list[str] = []
        try:
            from tests.harness.postgres.sources import provision

            server = provision(log)
        except BaseException as exc:
            self._startup.set_exception(exc)
            return
        try:
            started = asyncio.run(self._prepare(server, log))
        except BaseException as exc:
            # The server is ours: stop it here, nothing else will know about it.
            server.stop()
            self._startup.set_exception(exc)
            return
        self._startup.set_result(started)

    async def _prepare(self, server: PostgresServer, log: list[str]) -> _Started:
        from tests.harness.postgres import templates

        await templates.drop_orphan_clones(server)
        self._template = await templates.ensure_template(server)
        clones = [self._clone_name() for _ in range(1 + (POOL_SIZE if self._wants_pool else 0))]
        urls = [await templates.clone(server, self._template, name) for name in clones]
        return _Started(server, self._template, log, list(zip(clones, urls, strict=True)))

    async def server(self) -> PostgresServer:
        if self._server is not None:
            return self._server
        if self._failure is not None:
            # Fail every later test at once instead of retrying a slow, broken start.
            raise ProvisioningFailed(f"PostgreSQL is unavailable: {self._failure}")
        self.begin()
        assert self._startup is not None
        try:
            started = await asyncio.wrap_future(self._startup)
        except Exception as exc:
            self._failure = exc
            raise
        if self._server is None:
            self._server = server = started.server
            (self._session_db, session_url), *pool = started.clones
            self._session_url = session_url
            self._pool.extend(pool)
            for line in started.log:
                self._report(f"talk-backend tests: {line}")
            self._report(
                f"talk-backend tests: PostgreSQL {server.version} from {server.source}, "
                f"ready in {server.ready_seconds:.2f} s, template {started.template}"
            )
            if self._wants_pool:
                self.prefill()
        return self._server

    def _clone_name(self) -> str:
        from talk_backend.devtools import liveness
        from tests.harness.postgres import templates

        return f"{templates.CLONE_PREFIX}{liveness.this_run()}_{next(self._counter)}"

    async def _new_clone(self) -> tuple[str, URL]:
        from tests.harness.postgres import templates

        server = await self.server()
        assert self._template is not None
        name = self._clone_name()
        return name, await templates.clone(server, self._template, name)

    @property
    def ready_session_engine(self) -> AsyncEngine | None:
        """The session's engine once session_engine() has made it: later tests reach it
        without a turn of the event loop."""
        return self._session_engine

    async def session_engine(self) -> AsyncEngine:
        """One migrated database for the whole session; tests isolate by rollback.
        No per-query timeout here: asyncpg's costs a timer per statement; the env's
        watchdog aborts a test's connection instead (tests/harness/watchdog.py)."""
        if self._session_engine is None:
            from sqlalchemy.ext.asyncio import create_async_engine

            await self.server()
            assert self._session_url is not None
            self._session_engine = create_async_engine(
                self._session_url, pool_size=2, connect_args={"timeout": 10}
            )
        return self._session_engine

    def prefill(self) -> None:
        """Starts cloning the pool of fresh databases (the run has tests that use them)."""
        if self._filler is None or self._filler.done():
            self._filler = asyncio.ensure_future(self._fill())

    async def _fill(self) -> None:
        while len(self._pool) < POOL_SIZE:
            self._pool.append(await self._new_clone())

    async def fresh_database(self) -> tuple[str, URL]:
        """A database of its own for one test, cloned from the migrated template; from
        the pool when it has one ready, and the pool is topped up in the background."""
        if not self._pool:
            self.prefill()
            assert self._filler is not None
            while not self._pool and not self._filler.done():
                await asyncio.wait({self._filler}, timeout=0.002)
            if not self._pool:
                self._filler.result()  # the refill failed: say why
                raise ProvisioningFailed("the pool of fresh databases is empty")
        handed_out = self._pool.popleft()
        self.prefill()
        return handed_out

    async def drop(self, name: str) -> None:
        """Drops a test's database in the background; close() waits for it. A run
        killed before that leaves it to the next run's orphan sweep."""
        from tests.harness.postgres import templates

        server = await self.server()
        task = asyncio.ensure_future(templates.drop(server, name))
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)

    async def answers(self) -> bool:
        """Whether the server still accepts a query (after a test failed)."""
        import asyncpg

        from tests.harness.postgres.server import asyncpg_connect_kwargs

        if self._server is None:
            return False
        try:
            conn = await asyncpg.connect(**asyncpg_connect_kwargs(self._server.url), timeout=3)
            await conn.close()
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        return True

    async def close(self) -> None:
        self.closed = True
        if self._session_engine is not None:
            await self._session_engine.dispose()
        if self._server is None:
            if self._startup is None or self._failure is not None:
                return
            # Started during collection but no test used it (all deselected).
            try:
                await self.server()
            except Exception:
                return
        from tests.harness.postgres import templates

        server = self._server
        assert server is not None
        try:
            leftover = [self._session_db] if self._session_db else []
            if self._filler is not None:
                self._filler.cancel()
                await asyncio.gather(self._filler, return_exceptions=True)
            leftover += [name for name, _ in self._pool]
            await asyncio.gather(*self._drops, return_exceptions=True)
            if await self.answers():
                # A clone cancelled mid-CREATE is gone or half-made: sweep our names.
                for name in sorted(set(leftover) | set(await _ours(server))):
                    await templates.drop(server, name)
        finally:
            await asyncio.to_thread(server.stop)


def _import_what_the_thread_needs() -> None:
    """Imported here, on the calling thread, before the start-up thread runs: two threads
    importing one package with import cycles (SQLAlchemy's) at the same time can each
    get it half-initialised (ImportError). The test modules import these anyway."""
    import asyncpg  # noqa: F401
    import sqlalchemy.dialects.postgresql.asyncpg
    import sqlalchemy.ext.asyncio  # noqa: F401

    import talk_backend.infrastructure.persistence.tables  # noqa: F401  (alembic/env.py)
    from tests.harness.postgres import sources, templates  # noqa: F401


@dataclass(frozen=True)
class _Started:
    server: PostgresServer
    template: str
    log: list[str]
    clones: list[tuple[str, URL]]  # the session's database first, then the pool


async def _ours(server: PostgresServer) -> list[str]:
    """This process's clones still on the server."""
    import asyncpg

    from talk_backend.devtools import liveness
    from tests.harness.postgres import templates
    from tests.harness.postgres.server import asyncpg_connect_kwargs

    prefix = f"{templates.CLONE_PREFIX}{liveness.this_run()}_"
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(server.url), timeout=10)
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database")
    finally:
        await conn.close()
    # Not LIKE: its "_" matches any character.
    return [row["datname"] for row in rows if row["datname"].startswith(prefix)]
