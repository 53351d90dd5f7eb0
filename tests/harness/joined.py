"""A test's connection in its outer transaction (isolation="transaction"), opened on
first use and rolled back afterwards.

Opened lazily: a test that resolves only fakes, or fails before it reaches the
database, checks out no connection; one that does pays the same as before, inside its
own body. Every db session of the test (and env.fetch) joins this one connection, so
concurrent request scopes (env.scope()) ask for it at once: a lock makes that one
checkout."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

    from tests.harness.watchdog import Watchdog


class JoinedConnection:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._lock = asyncio.Lock()
        self._opened: tuple[AsyncConnection, AsyncTransaction, Watchdog] | None = None

    @property
    def url(self) -> Any:
        return self._engine.url

    async def get(self) -> AsyncConnection:
        """The connection, checked out and in its outer transaction on the first call."""
        if self._opened is None:
            async with self._lock:
                if self._opened is None:
                    self._opened = await self._open()
        return self._opened[0]

    async def _open(self) -> tuple[AsyncConnection, AsyncTransaction, Watchdog]:
        from tests.harness.watchdog import Watchdog

        conn = await self._engine.connect()
        try:
            outer = await conn.begin()
            raw = await conn.get_raw_connection()
        except BaseException:
            await conn.close()
            raise
        return conn, outer, Watchdog([raw.driver_connection])

    async def close(self) -> None:
        """Rolls the outer transaction back and returns the connection to the pool; raises
        DatabaseTimeout if the watchdog fired. Closed directly, not through `async with`:
        SQLAlchemy's __aexit__ shields the close in a task of its own, two more turns of
        the loop for every test."""
        if self._opened is None:
            return
        (conn, outer, watchdog), self._opened = self._opened, None
        try:
            watchdog.disarm()
            await outer.rollback()
        finally:
            await conn.close()
