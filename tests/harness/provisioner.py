"""Session-wide PostgreSQL for the harness: started lazily, torn down at the end.

Unit tests never touch it, so a unit-only run starts no server. Every pytest process
(an xdist worker, a Bazel shard) has its own provisioner and so its own databases."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

import asyncpg
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.harness.postgres import templates
from tests.harness.postgres.server import PostgresServer, asyncpg_connect_kwargs
from tests.harness.postgres.sources import provision

# A hung server must fail the test, not the CI job's wall clock.
QUERY_TIMEOUT_S = 60


class ProvisioningFailed(RuntimeError):
    pass


class DatabaseProvisioner:
    def __init__(self, report: Callable[[str], None]) -> None:
        self._report = report
        self._lock = asyncio.Lock()
        self._server: PostgresServer | None = None
        self._failure: BaseException | None = None
        self._template: str | None = None
        self._session_db: str | None = None
        self._session_engine: AsyncEngine | None = None
        self._counter = itertools.count()
        # The next fresh database, cloned while the current test runs, and drops
        # still running: a test waits for neither.
        self._spare: asyncio.Task[tuple[str, URL]] | None = None
        self._drops: set[asyncio.Task[None]] = set()

    @property
    def started(self) -> PostgresServer | None:
        return self._server

    async def server(self) -> PostgresServer:
        async with self._lock:
            if self._failure is not None:
                # Fail every later test at once instead of retrying a slow, broken start.
                raise ProvisioningFailed(f"PostgreSQL is unavailable: {self._failure}")
            if self._server is None:
                try:
                    await self._start()
                except Exception as exc:
                    self._failure = exc
                    raise
            assert self._server is not None
            return self._server

    async def _start(self) -> None:
        log: list[str] = []
        server = await asyncio.to_thread(provision, log)
        for line in log:
            self._report(f"talk-backend tests: {line}")
        self._server = server
        await templates.drop_orphan_clones(server)
        self._template = await templates.ensure_template(server)
        self._report(
            f"talk-backend tests: PostgreSQL {server.version} from {server.source}, "
            f"ready in {server.ready_seconds:.2f} s, template {self._template}"
        )

    async def _new_clone(self) -> tuple[str, URL]:
        server = await self.server()
        assert self._template is not None
        name = f"{templates.CLONE_PREFIX}{templates.clone_owner_tag()}_{next(self._counter)}"
        return name, await templates.clone(server, self._template, name)

    async def session_engine(self) -> AsyncEngine:
        """One migrated database for the whole session; tests isolate by rollback."""
        if self._session_engine is None:
            name, url = await self._new_clone()
            self._session_db = name
            self._session_engine = create_async_engine(
                url, pool_size=2, connect_args={"command_timeout": QUERY_TIMEOUT_S, "timeout": 10}
            )
        return self._session_engine

    async def fresh_database(self) -> tuple[str, URL]:
        """A database of its own for one test, cloned from the migrated template."""
        spare = self._spare or asyncio.ensure_future(self._new_clone())
        self._spare = None
        name, url = await spare
        self._spare = asyncio.ensure_future(self._new_clone())
        return name, url

    async def drop(self, name: str) -> None:
        """Drops a test's database in the background; close() waits for it. A run
        killed before that leaves it to the next run's orphan sweep."""
        server = await self.server()
        task = asyncio.ensure_future(templates.drop(server, name))
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)

    async def answers(self) -> bool:
        """Whether the server still accepts a query (after a test failed)."""
        if self._server is None:
            return False
        try:
            conn = await asyncpg.connect(**asyncpg_connect_kwargs(self._server.url), timeout=3)
            await conn.close()
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        return True

    async def close(self) -> None:
        if self._session_engine is not None:
            await self._session_engine.dispose()
        if self._server is None:
            return
        try:
            leftover = [self._session_db] if self._session_db else []
            if self._spare is not None:
                spare = await asyncio.gather(self._spare, return_exceptions=True)
                if isinstance(spare[0], tuple):
                    leftover.append(spare[0][0])
            await asyncio.gather(*self._drops, return_exceptions=True)
            if leftover and await self.answers():
                for name in leftover:
                    await templates.drop(self._server, name)
        finally:
            await asyncio.to_thread(self._server.stop)
