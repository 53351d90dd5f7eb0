"""The unit of work is the request's AsyncSession: repositories share it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class SqlaTransactionManager:
    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def commit(self) -> None:
        await self._db.commit()

    async def rollback(self) -> None:
        await self._db.rollback()
