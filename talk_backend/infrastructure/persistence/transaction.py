"""The unit of work is the request's AsyncSession: repositories share it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class SqlaTransactionManager:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def commit(self) -> None:
        await self._session.commit()

    async def rollback(self) -> None:
        await self._session.rollback()
