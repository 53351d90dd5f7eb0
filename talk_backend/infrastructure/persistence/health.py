"""HealthCheck on PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine


class AsyncpgHealthCheck:
    """`SELECT 1` on the asyncpg driver of a pooled connection, outside any
    transaction: one round trip (no BEGIN, no ROLLBACK), through the engine's pool and
    its disconnect policy, so a probe also proves the pool can hand out a connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def database_ok(self) -> bool:
        try:
            async with asyncio.timeout(3), self._engine.connect() as conn:
                driver = (await conn.get_raw_connection()).driver_connection
                assert driver is not None
                await driver.fetchval("SELECT 1")
        except (SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            return False  # TimeoutError is an OSError
        return True
