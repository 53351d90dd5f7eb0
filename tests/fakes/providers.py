"""Fake provider groups, one per real group in talk_backend.container.

Each holds its fake instance so a test can drive it (env.bluesky, env.clock)."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from talk_backend.application.ports import (
    BlueskyGrants,
    BlueskyGrantStore,
    BlueskySignIn,
    Clock,
    HealthCheck,
    InviteRepository,
    SignedInMembers,
    TransactionManager,
    UserRepository,
    WebSessionRepository,
)
from tests.fakes.bluesky import FakeBlueskyGrants, FakeBlueskyGrantStore, FakeBlueskySignIn
from tests.fakes.clock import FakeClock
from tests.fakes.health import AlwaysHealthy
from tests.fakes.memory_store import InMemoryTransactionManager, MemoryStore
from tests.fakes.repositories import InMemoryInviteRepository, InMemoryUserRepository
from tests.fakes.web_sessions import InMemorySignedInMembers, InMemoryWebSessionRepository


class FakePersistenceProvider(Provider):
    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()

    @provide(scope=Scope.APP)
    def memory_store(self) -> MemoryStore:
        return self.store

    users = provide(InMemoryUserRepository, scope=Scope.REQUEST, provides=UserRepository)
    invites = provide(InMemoryInviteRepository, scope=Scope.REQUEST, provides=InviteRepository)
    tx = provide(InMemoryTransactionManager, scope=Scope.REQUEST, provides=TransactionManager)
    web_sessions = provide(
        InMemoryWebSessionRepository, scope=Scope.REQUEST, provides=WebSessionRepository
    )
    health = provide(AlwaysHealthy, scope=Scope.APP, provides=HealthCheck)
    signed_in = provide(InMemorySignedInMembers, scope=Scope.APP, provides=SignedInMembers)


class FakeBlueskyProvider(Provider):
    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeBlueskySignIn()
        self.grant_statuses = FakeBlueskyGrants()
        self.grants = FakeBlueskyGrantStore()

    @provide(scope=Scope.APP)
    def sign_in(self) -> BlueskySignIn:
        return self.fake

    @provide(scope=Scope.APP)
    def bluesky_grants(self) -> BlueskyGrants:
        return self.grant_statuses

    @provide(scope=Scope.APP)
    def grant_store(self) -> BlueskyGrantStore:
        return self.grants


class FakeClockProvider(Provider):
    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeClock()

    @provide(scope=Scope.APP)
    def clock(self) -> Clock:
        return self.fake


FAKE_GROUPS: dict[str, type[Provider]] = {
    "persistence": FakePersistenceProvider,
    "bluesky": FakeBlueskyProvider,
    "clock": FakeClockProvider,
}
