"""Session-wide PostgreSQL for the harness: started lazily, torn down at the end.

Unit tests never touch it, so a unit-only run starts no server."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.harness.postgres import templates
from tests.harness.postgres.server import PostgresServer
from tests.harness.postgres.sources import provision


class DatabaseProvisioner:
    def __init__(self, report: Callable[[str], None]) -> None:
        self._report = report
        self._lock = asyncio.Lock()
        self._server: PostgresServer | None = None
        self._template: str | None = None
        self._session_db: str | None = None
        self._session_engine: AsyncEngine | None = None
        self._counter = itertools.count()

    async def server(self) -> PostgresServer:
        async with self._lock:
            if self._server is None:
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
            return self._server

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
            self._session_engine = create_async_engine(url, pool_size=2)
        return self._session_engine

    async def fresh_database(self) -> tuple[str, URL]:
        return await self._new_clone()

    async def drop(self, name: str) -> None:
        await templates.drop(await self.server(), name)

    async def close(self) -> None:
        if self._session_engine is not None:
            await self._session_engine.dispose()
        if self._server is not None:
            try:
                if self._session_db is not None:
                    await templates.drop(self._server, self._session_db)
            finally:
                await asyncio.to_thread(self._server.stop)
