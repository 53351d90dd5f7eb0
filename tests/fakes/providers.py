"""Fake provider groups, one for each group in talk_backend.container.GROUPS.

Each fake is provided under its port and under its own class (dishka's AnyOf), so a
test drives it by type: `await env.get(FakeClock)`. Sources take the provider's
scope: the harness makes these providers at Scope.APP for a container of one test,
and at Scope.SESSION (one per test) in a container shared by a whole test session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from dishka import AnyOf, Provider, Scope, provide

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
from talk_backend.container import GROUPS
from talk_backend.settings import Settings
from tests.fakes.bluesky import (
    FakeBlueskyGrantRevocation,
    FakeBlueskyGrants,
    FakeBlueskySignIn,
    FakeTokenIssuer,
)
from tests.fakes.clock import FakeClock
from tests.fakes.health import AlwaysHealthy
from tests.fakes.memory_store import InMemoryTransactionManager, MemorySession, MemoryStore
from tests.fakes.oauth_state import (
    InMemoryAuthRequestStore,
    InMemoryBlueskyGrantStore,
    InMemoryOAuthGrantStore,
)
from tests.fakes.repositories import InMemoryInviteRepository, InMemoryUserRepository
from tests.fakes.web_sessions import InMemorySignedInMembers, InMemoryWebSessionRepository


class FakeGroup(Provider):
    group: ClassVar[str]  # the name of the group (talk_backend.container.GROUPS) it fakes
    scope = Scope.APP  # unless made with another


class FakePersistenceProvider(FakeGroup):
    group = "persistence"

    @provide
    def store(self) -> MemoryStore:
        return MemoryStore()

    # A request scope's journal over the store: the in-memory AsyncSession. Closing it
    # rolls back what was not committed, as closing an AsyncSession does, which also
    # releases its row locks.
    @provide(scope=Scope.REQUEST)
    def db(self, store: MemoryStore) -> Iterator[MemorySession]:
        session = MemorySession(store)
        yield session
        session.rollback()

    health = provide(AlwaysHealthy, provides=HealthCheck)
    signed_in = provide(InMemorySignedInMembers, provides=SignedInMembers)
    users = provide(InMemoryUserRepository, scope=Scope.REQUEST, provides=UserRepository)
    invites = provide(InMemoryInviteRepository, scope=Scope.REQUEST, provides=InviteRepository)
    tx = provide(InMemoryTransactionManager, scope=Scope.REQUEST, provides=TransactionManager)
    web_sessions = provide(
        InMemoryWebSessionRepository, scope=Scope.REQUEST, provides=WebSessionRepository
    )

    @provide
    def auth_requests(
        self, store: MemoryStore, clock: Clock, settings: Settings
    ) -> AnyOf[InMemoryAuthRequestStore, AuthRequestStore]:
        return InMemoryAuthRequestStore(store, clock, settings.sign_in.max_pending)

    oauth_grants = provide(
        InMemoryOAuthGrantStore, provides=AnyOf[InMemoryOAuthGrantStore, OAuthGrantStore]
    )
    grants = provide(InMemoryBlueskyGrantStore, scope=Scope.REQUEST, provides=BlueskyGrantStore)


class FakeBlueskyProvider(FakeGroup):
    group = "bluesky"
    tokens = provide(FakeTokenIssuer)
    sign_in = provide(FakeBlueskySignIn, provides=AnyOf[FakeBlueskySignIn, BlueskySignIn])
    grants = provide(FakeBlueskyGrants, provides=AnyOf[FakeBlueskyGrants, BlueskyGrants])
    revocation = provide(
        FakeBlueskyGrantRevocation,
        provides=AnyOf[FakeBlueskyGrantRevocation, BlueskyGrantRevocation],
    )


class FakeClockProvider(FakeGroup):
    group = "clock"

    @provide
    def clock(self) -> AnyOf[FakeClock, Clock]:
        return FakeClock()


def fake_groups(names: set[str] | frozenset[str], scope: Scope) -> dict[str, Provider]:
    """Fresh fake providers for the named groups, keyed as create_container's `fakes`."""
    return {cls.group: cls(scope=scope) for cls in _FAKES if cls.group in names}


_FAKES: tuple[type[FakeGroup], ...] = (
    FakePersistenceProvider,
    FakeBlueskyProvider,
    FakeClockProvider,
)
# Every group has its fake: the unit-test env fakes them all.
assert {cls.group for cls in _FAKES} == set(GROUPS), "a group without a fake"
