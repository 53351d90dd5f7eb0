"""The one composition root.

Providers come in named groups, each with a real implementation here and a fake in
tests/fakes. `create_container` wires the real ones unless a group is replaced."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

from dishka import (
    AsyncContainer,
    Provider,
    Scope,
    from_context,
    make_async_container,
    provide,
    provide_all,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talk_backend.application.invite_policy import InvitePolicy
from talk_backend.application.ports import (
    AuthRequestStore,
    BlueskyGrantRevocation,
    BlueskyGrants,
    BlueskyGrantStore,
    BlueskySignIn,
    Clock,
    HealthCheck,
    InviteRepository,
    OAuthGrantStore,
    SignedInMembers,
    TransactionManager,
    UserRepository,
    WebSessionRepository,
)
from talk_backend.application.sign_in_rate import SignInRateLimit
from talk_backend.application.usecase.auth.login import Login
from talk_backend.application.usecase.auth.start_login import StartLogin
from talk_backend.application.usecase.bluesky_grants.refresh import RefreshBlueskyGrant
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.usecase.invites.list import ListInvites
from talk_backend.application.usecase.invites.revoke import RevokeInvite
from talk_backend.application.usecase.users.register_founder import RegisterFounder
from talk_backend.application.usecase.web_sessions.close import CloseWebSession
from talk_backend.application.usecase.web_sessions.current_user import CurrentUser
from talk_backend.application.usecase.web_sessions.open import OpenWebSession
from talk_backend.application.web_session_policy import WebSessionPolicy
from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.infrastructure.bluesky.dpop import DpopNonces
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.bluesky.identity_resolver import AtprotoIdentityResolver
from talk_backend.infrastructure.bluesky.revocation import AtprotoGrantRevocation
from talk_backend.infrastructure.bluesky.sign_in import AtprotoOAuthSignIn
from talk_backend.infrastructure.bluesky.token_refresh import (
    AtprotoBlueskyGrants,
    AtprotoTokenRefresher,
)
from talk_backend.infrastructure.clock import SystemClock
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


class SettingsProvider(Provider):
    """The settings, handed in when the container is made (`context={Settings: ...}`),
    and the policies read from them."""

    settings = from_context(provides=Settings, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def invite_policy(self, settings: Settings) -> InvitePolicy:
        ttl_days = settings.invites.default_ttl_days
        return InvitePolicy(
            max_pending_per_inviter=settings.invites.max_pending,
            default_ttl=timedelta(days=ttl_days) if ttl_days else None,
        )

    @provide(scope=Scope.APP)
    def web_session_policy(self, settings: Settings) -> WebSessionPolicy:
        return WebSessionPolicy(ttl=timedelta(hours=settings.sessions.ttl_hours))

    @provide(scope=Scope.APP)
    def sign_in_rate_limit(self, settings: Settings) -> SignInRateLimit:
        limits = settings.sign_in
        return SignInRateLimit(limits.per_address_per_minute, limits.total_per_minute)

    @provide(scope=Scope.APP)
    def client_identity(self, settings: Settings) -> ClientIdentity:
        # Pure configuration (the metadata and JWKS documents need it even with Bluesky faked).
        return ClientIdentity(settings.oauth)


class PersistenceProvider(Provider):
    """Real group `persistence`: PostgreSQL via SQLAlchemy, one db session per request."""

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


class ClockProvider(Provider):
    """Real group `clock`."""

    clock = provide(SystemClock, scope=Scope.APP, provides=Clock)


class BlueskyProvider(Provider):
    """Real group `bluesky`: the atproto OAuth client. It keeps its state in
    PostgreSQL, so it needs the real `persistence` group."""

    scope = Scope.APP

    @provide
    async def guarded_http(self, settings: Settings) -> AsyncIterator[GuardedHttpClient]:
        async with GuardedHttpClient(
            allow_insecure_loopback=settings.oauth.allow_insecure_loopback,
            timeout=settings.oauth.http_timeout_seconds,
        ) as http:
            yield http

    @provide
    def resolver(self, http: GuardedHttpClient, settings: Settings) -> AtprotoIdentityResolver:
        return AtprotoIdentityResolver(
            http,
            plc_directory_url=settings.oauth.plc_directory_url,
            handle_resolver_url=settings.oauth.handle_resolver_url,
        )

    nonces = provide(DpopNonces)
    poster = provide(DpopPoster)

    @provide
    def auth_requests(
        self, factory: async_sessionmaker[AsyncSession], clock: Clock, settings: Settings
    ) -> AuthRequestStore:
        return SqlaAuthRequestStore(factory, clock, settings.sign_in.max_pending)

    oauth_grants = provide(SqlaOAuthGrantStore, provides=OAuthGrantStore)
    refresher = provide(AtprotoTokenRefresher)
    bluesky_grants = provide(AtprotoBlueskyGrants, provides=BlueskyGrants)
    revocation = provide(AtprotoGrantRevocation, provides=BlueskyGrantRevocation)
    # Request scope: the grant is written with the login's own db session.
    grants = provide(SqlaBlueskyGrantStore, scope=Scope.REQUEST, provides=BlueskyGrantStore)
    sign_in = provide(AtprotoOAuthSignIn, provides=BlueskySignIn)


class UseCaseProvider(Provider):
    scope = Scope.REQUEST
    use_cases = provide_all(
        Login,
        StartLogin,
        CreateInvite,
        RevokeInvite,
        ListInvites,
        RegisterFounder,
        OpenWebSession,
        CloseWebSession,
        CurrentUser,
        RefreshBlueskyGrant,
    )


PROVIDER_GROUPS: Mapping[str, type[Provider]] = {
    "persistence": PersistenceProvider,
    "bluesky": BlueskyProvider,
    "clock": ClockProvider,
}


def create_container(
    settings: Settings,
    *,
    replace: Mapping[str, Provider] | None = None,
    extra: tuple[Provider, ...] = (),
    context: Mapping[Any, object] | None = None,
) -> AsyncContainer:
    """Wires the application. `replace` swaps whole provider groups (tests use fakes);
    `extra` adds providers such as an entrypoint's own; `context` hands in values the
    providers take `from_context` besides the settings (a test's connection)."""
    replace = dict(replace or {})
    unknown = sorted(set(replace) - set(PROVIDER_GROUPS))
    if unknown:
        raise ValueError(
            f"unknown provider group(s) {', '.join(unknown)}; "
            f"valid groups: {', '.join(sorted(PROVIDER_GROUPS))}"
        )
    groups = [replace.get(name) or factory() for name, factory in PROVIDER_GROUPS.items()]
    return make_async_container(
        SettingsProvider(),
        *groups,
        UseCaseProvider(),
        *extra,
        context={**(context or {}), Settings: settings},
    )
