"""HealthCheck on PostgreSQL."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

_PROBE = sa.text("SELECT 1")


class SqlaHealthCheck:
    """One `SELECT 1` on a pooled connection in autocommit mode: no BEGIN and no
    ROLLBACK around it, so a probe costs one round trip."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def database_ok(self) -> bool:
        try:
            async with asyncio.timeout(3), self._engine.connect() as conn:
                autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(_PROBE)
        except (SQLAlchemyError, OSError, TimeoutError):
            return False
        return True
