"""The real persistence group, with every session joined to one outer transaction.

SQLAlchemy's "join a Session into an external transaction" recipe: the test's
connection holds a transaction that is rolled back after the test; sessions use
savepoints, so a use case's commit and rollback behave as in production."""

from __future__ import annotations

from dishka import Scope, provide
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from talk_backend.container import PersistenceProvider


class JoinedTransactionPersistenceProvider(PersistenceProvider):
    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__()
        self._connection = connection

    @provide(scope=Scope.APP)
    def session_factory(self) -> async_sessionmaker[AsyncSession]:  # type: ignore[override]
        return async_sessionmaker(
            bind=self._connection,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )
