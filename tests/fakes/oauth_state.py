"""In-memory stores of the atproto OAuth client: pending authorization requests
and grants."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from talk_backend.application.oauth_state import OAuthTokens, PendingAuthorization, Save
from talk_backend.application.ports import Clock
from talk_backend.domain.errors import TooManyPendingSignIns


class InMemoryAuthRequestStore:
    """Each call is its own committed step, outside any unit of work, because the Sqla
    store commits its own short transactions by design: a state must stay consumed
    even when the sign-in that used it is rolled back."""

    def __init__(self, clock: Clock, max_pending: int = 10_000) -> None:
        self._clock = clock
        self._max_pending = max_pending
        self.requests: dict[str, PendingAuthorization] = {}

    async def add(self, request: PendingAuthorization) -> None:
        now = self._clock.now()
        for state in [s for s, r in self.requests.items() if r.expires_at < now]:
            del self.requests[state]
        if len(self.requests) >= self._max_pending:
            raise TooManyPendingSignIns("too many sign-ins are under way; try again later")
        self.requests[request.state] = request

    async def take(self, state: str, browser_binding_hash: str) -> PendingAuthorization | None:
        request = self.requests.get(state)
        if request is None or request.browser_binding_hash != browser_binding_hash:
            return None
        return self.requests.pop(state)

    async def is_pending(self, state: str) -> bool:
        return state in self.requests


@dataclass
class InMemoryOAuthGrantStore:
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
