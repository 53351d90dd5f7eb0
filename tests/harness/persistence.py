"""The persistence group unmocked, with every session joined to one outer transaction.

SQLAlchemy's "join a Session into an external transaction" recipe: the test's
connection holds a transaction that is rolled back after the test; sessions use
savepoints, so a use case's commit and rollback behave as in production."""

from __future__ import annotations

from dishka import from_context, provide
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from talk_backend.application.ports import HealthCheck, SignedInMembers
from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import WebSession
from talk_backend.infrastructure.persistence.database import create_db_session_factory
from talk_backend.infrastructure.persistence.health import AsyncpgHealthCheck
from talk_backend.infrastructure.persistence.signed_in_members import (
    WEB_SESSION_WITH_MEMBER,
    AsyncpgSignedInMembers,
    web_session_and_user,
)
from talk_backend.wiring.persistence import PersistenceProvider
from tests.harness.joined import JoinedConnection


class JoinedSignedInMembers:
    """AsyncpgSignedInMembers' statement on the test's connection: rows the test wrote
    in its outer transaction are invisible to a pooled connection of its own."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def web_session_with_member(self, token_hash: str) -> tuple[WebSession, User] | None:
        result = await self._connection.execute(WEB_SESSION_WITH_MEMBER, {"token_hash": token_hash})
        row = result.first()
        return web_session_and_user(row._mapping) if row else None


class JoinedTransactionPersistenceProvider(PersistenceProvider):
    """The test's connection comes in through the container's context, at the
    provider's scope (see tests/fakes/providers.py for which scope when), and is
    checked out when something first needs it (tests/harness/joined.py)."""

    joined = from_context(provides=JoinedConnection)

    @provide
    async def connection(self, joined: JoinedConnection) -> AsyncConnection:
        return await joined.get()

    @provide
    def db_session_factory(self, connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    @provide
    def signed_in(self, connection: AsyncConnection) -> SignedInMembers:
        return JoinedSignedInMembers(connection)


class HandedOutDatabasePersistenceProvider(PersistenceProvider):
    """The group unmocked on a test's own database (isolation="database"): the engine of
    the clone the test was handed comes in through the context at the provider's
    scope, so one container serves every such test instead of one built per test.
    Everything the group builds on the engine moves to that scope with it."""

    engine = from_context(provides=AsyncEngine)

    @provide
    def db_session_factory(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return create_db_session_factory(engine)

    health = provide(AsyncpgHealthCheck, provides=HealthCheck)
    signed_in = provide(AsyncpgSignedInMembers, provides=SignedInMembers)
