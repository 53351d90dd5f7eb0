"""Group `persistence`: every PostgreSQL adapter, one db session per request."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talk_backend.application.ports import (
    AuthRequestStore,
    BlueskyGrantStore,
    Clock,
    HealthCheck,
    InviteRepository,
    OAuthGrantStore,
    SignedInMembers,
    TransactionManager,
    UserRepository,
    WebSessionRepository,
)
from talk_backend.infrastructure.persistence.database import (
    create_db_session_factory,
    create_engine,
)
from talk_backend.infrastructure.persistence.health import AsyncpgHealthCheck
from talk_backend.infrastructure.persistence.invites import SqlaInviteRepository
from talk_backend.infrastructure.persistence.oauth_state import (
    SqlaAuthRequestStore,
    SqlaBlueskyGrantStore,
    SqlaOAuthGrantStore,
)
from talk_backend.infrastructure.persistence.signed_in_members import AsyncpgSignedInMembers
from talk_backend.infrastructure.persistence.transaction import SqlaTransactionManager
from talk_backend.infrastructure.persistence.users import SqlaUserRepository
from talk_backend.infrastructure.persistence.web_sessions import SqlaWebSessionRepository
from talk_backend.settings import Settings


class PersistenceProvider(Provider):
    """PostgreSQL via SQLAlchemy. The OAuth client's state is here too: whether a
    grant lands with the sign-in's commit is the database's business, not Bluesky's.

    What has no scope of its own takes the provider's: APP here, another where the
    test harness makes the group with a test's connection in the context."""

    scope = Scope.APP

    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(settings.database.url.get_secret_value(), echo=False)
        yield engine
        await engine.dispose()

    @provide(scope=Scope.APP)
    def db_session_factory(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return create_db_session_factory(engine)

    @provide(scope=Scope.REQUEST)
    async def db_session(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        # Closing rolls back whatever a use case did not commit.
        async with factory() as db:
            yield db

    users = provide(SqlaUserRepository, scope=Scope.REQUEST, provides=UserRepository)
    invites = provide(SqlaInviteRepository, scope=Scope.REQUEST, provides=InviteRepository)
    tx = provide(SqlaTransactionManager, scope=Scope.REQUEST, provides=TransactionManager)
    web_sessions = provide(
        SqlaWebSessionRepository, scope=Scope.REQUEST, provides=WebSessionRepository
    )
    health = provide(AsyncpgHealthCheck, scope=Scope.APP, provides=HealthCheck)
    signed_in = provide(AsyncpgSignedInMembers, scope=Scope.APP, provides=SignedInMembers)

    @provide
    def auth_requests(
        self, factory: async_sessionmaker[AsyncSession], clock: Clock, settings: Settings
    ) -> AuthRequestStore:
        return SqlaAuthRequestStore(factory, clock, settings.sign_in.max_pending)

    oauth_grants = provide(SqlaOAuthGrantStore, provides=OAuthGrantStore)
    # Request scope: the grant is written with the sign-in's own db session.
    grants = provide(SqlaBlueskyGrantStore, scope=Scope.REQUEST, provides=BlueskyGrantStore)
