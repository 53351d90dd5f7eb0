"""HealthCheck on PostgreSQL."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession


class SqlaHealthCheck:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def database_ok(self) -> bool:
        try:
            async with asyncio.timeout(3):
                await self._session.execute(sa.text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError):
            return False
        return True
