"""In-memory stores of the atproto OAuth client's state, on the MemoryStore: pending
authorization requests and grants, with the Sqla stores' commit semantics."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from talk_backend.application.oauth_state import OAuthTokens, PendingAuthorization, Save
from talk_backend.application.ports import Clock, CompletedSignIn
from talk_backend.domain.errors import TooManyPendingSignIns
from talk_backend.domain.identity import Did
from tests.fakes.memory_store import MemorySession, MemoryStore


def sample_tokens(
    now: datetime,
    did: str,
    *,
    issuer: str = "https://as.example.com",
    pds_url: str = "https://pds.example.com",
    dpop_jwk: str | None = None,
) -> OAuthTokens:
    """A grant as a sign-in at `issuer` would store it: fresh random tokens and DPoP
    key, live for 30 minutes from `now`."""
    if dpop_jwk is None:
        # Imported here: the fake Bluesky passes its own key and so never loads the
        # real client's modules.
        from talk_backend.infrastructure.bluesky.dpop import DpopKey

        dpop_jwk = DpopKey.generate().to_json()
    return OAuthTokens(
        did=did,
        issuer=issuer,
        pds_url=pds_url,
        token_endpoint=f"{issuer}/oauth/token",
        scope="atproto transition:generic",
        access_token=secrets.token_urlsafe(32),
        refresh_token=secrets.token_urlsafe(32),
        dpop_private_jwk=dpop_jwk,
        expires_at=now + timedelta(minutes=30),
        updated_at=now,
    )


class InMemoryAuthRequestStore:
    """Each call is its own committed step on the committed tables, outside any unit
    of work, because the Sqla store commits its own short transactions by design: a
    state must stay consumed even when the sign-in that used it is rolled back."""

    def __init__(self, store: MemoryStore, clock: Clock, max_pending: int = 10_000) -> None:
        self._clock = clock
        self._max_pending = max_pending
        self.requests = store.auth_requests

    async def add(self, request: PendingAuthorization) -> None:
        now = self._clock.now()
        for state in [s for s, r in self.requests.items() if r.expires_at < now]:
            del self.requests[state]
        if len(self.requests) >= self._max_pending:
            raise TooManyPendingSignIns("too many sign-ins are under way; try again later")
        if request.state in self.requests:
            # The state is the table's primary key.
            raise ValueError("an authorization request with this state exists already")
        self.requests[request.state] = request

    async def take(self, state: str, browser_binding_hash: str) -> PendingAuthorization | None:
        request = self.requests.get(state)
        if request is None or request.browser_binding_hash != browser_binding_hash:
            return None
        return self.requests.pop(state)

    async def is_pending(self, state: str) -> bool:
        return state in self.requests


class InMemoryOAuthGrantStore:
    """Outside the unit of work like the Sqla store: writes the committed grants.
    `refreshing` holds a per-DID lock and applies its save only when the block ends
    without an error, as the Sqla store's transaction commits or rolls back."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._locks: dict[str, asyncio.Lock] = {}

    async def save(self, tokens: OAuthTokens) -> None:
        self.store.grants[tokens.did] = tokens

    @asynccontextmanager
    async def refreshing(self, did: str) -> AsyncIterator[tuple[OAuthTokens | None, Save]]:
        async with self._locks.setdefault(did, asyncio.Lock()):
            pending: list[OAuthTokens] = []

            async def save(tokens: OAuthTokens) -> None:
                pending.append(tokens)

            yield self.store.grants.get(did), save
            for tokens in pending:
                self.store.grants[tokens.did] = tokens


@dataclass(frozen=True, slots=True)
class InMemoryBlueskyGrantStore:
    """The sign-in's and sign-out's access to grants, in the request's unit of work like
    SqlaBlueskyGrantStore: a grant lands with the sign-in's commit, or not at all."""

    db: MemorySession

    async def keep(self, signed_in: CompletedSignIn) -> OAuthTokens | None:
        if not isinstance(signed_in.grant, OAuthTokens):
            raise TypeError("the grant did not come from the atproto sign-in")
        replaced = self.db.grants.get(signed_in.grant.did)
        self.db.grants[signed_in.grant.did] = signed_in.grant
        return replaced

    async def take(self, did: Did) -> OAuthTokens | None:
        return self.db.grants.pop(did.value, None)
