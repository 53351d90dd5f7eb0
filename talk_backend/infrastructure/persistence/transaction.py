"""The unit of work is the request's db session (AsyncSession): repositories share it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from talk_backend.application.ports import TransactionManager


class SqlaTransactionManager(TransactionManager):
    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def commit(self) -> None:
        await self._db.commit()

    async def rollback(self) -> None:
        # After a commit no transaction is open and this sends nothing.
        await self._db.rollback()
