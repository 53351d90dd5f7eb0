"""In-memory session stores (web sessions, the OAuth client's state), the fake
BlueskySessions port, and HealthCheck."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from talk_backend.application.ports import BlueskySessionStatus, Clock
from talk_backend.domain.identity import Did
from talk_backend.domain.sessions import WebSession
from talk_backend.domain.users import User
from talk_backend.infrastructure.bluesky.state import OAuthTokens, PendingAuthorization, Save
from tests.fakes.memory_store import MemoryStore


class InMemoryWebSessionRepository:
    """Writes go through the unit of work, as SqlaWebSessionRepository's go through the
    request's session: InMemoryTransactionManager's rollback undoes them."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, session: WebSession) -> None:
        self._store.web_sessions[session.token_hash] = session

    async def get(self, token_hash: str) -> WebSession | None:
        return self._store.web_sessions.get(token_hash)

    async def delete(self, token_hash: str) -> None:
        self._store.web_sessions.pop(token_hash, None)


class InMemorySignedInMembers:
    """Reads the store as SqlaSignedInMembers reads committed rows; the store keeps no
    separate committed view, and no request writes a session before asking this."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def session_with_member(self, token_hash: str) -> tuple[WebSession, User] | None:
        session = self._store.web_sessions.get(token_hash)
        user = self._store.users.get(session.user_id) if session else None
        return (session, user) if session and user else None


class InMemoryAuthRequestStore:
    """Each call is its own committed step, outside any unit of work, because the Sqla
    store commits its own short transactions by design: a state must stay consumed
    even when the sign-in that used it is rolled back."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.requests: dict[str, PendingAuthorization] = {}

    async def add(self, request: PendingAuthorization) -> None:
        now = self._clock.now()
        for state in [s for s, r in self.requests.items() if r.expires_at < now]:
            del self.requests[state]
        self.requests[request.state] = request

    async def take(self, state: str, browser_binding_hash: str) -> PendingAuthorization | None:
        request = self.requests.get(state)
        if request is None or request.browser_binding_hash != browser_binding_hash:
            return None
        return self.requests.pop(state)

    async def is_pending(self, state: str) -> bool:
        return state in self.requests


@dataclass
class InMemoryOAuthSessionStore:
    """Outside the unit of work like the Sqla store. `refreshing` holds a per-DID lock
    and applies its save only when the block ends without an error, as the Sqla
    store's transaction commits or rolls back."""

    tokens: dict[str, OAuthTokens] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def save(self, tokens: OAuthTokens) -> None:
        self.tokens[tokens.did] = tokens

    @asynccontextmanager
    async def refreshing(self, did: str) -> AsyncIterator[tuple[OAuthTokens | None, Save]]:
        async with self._locks.setdefault(did, asyncio.Lock()):
            pending: list[OAuthTokens] = []

            async def save(tokens: OAuthTokens) -> None:
                pending.append(tokens)

            yield self.tokens.get(did), save
            for tokens in pending:
                self.tokens[tokens.did] = tokens


class FakeBlueskySessions:
    """Say which members have a live Bluesky link: `link(did, ...)`."""

    def __init__(self) -> None:
        self.statuses: dict[str, BlueskySessionStatus] = {}

    def link(self, status: BlueskySessionStatus) -> None:
        self.statuses[status.did] = status

    async def fresh_status(self, did: Did) -> BlueskySessionStatus | None:
        return self.statuses.get(did.value)


class AlwaysHealthy:
    async def database_ok(self) -> bool:
        return True
