"""What the client keeps server-side between redirects, and the stores for it.

Tokens and DPoP keys live only here (PostgreSQL), never in cookies or logs: the
dataclasses hide them from repr."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SessionOrigin:
    """Where an account's tokens come from and the DPoP key they are bound to: what a
    token response is checked against, at sign-in and at every refresh."""

    did: str
    issuer: str
    pds_url: str
    token_endpoint: str
    dpop_private_jwk: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    state: str
    browser_binding_hash: str
    issuer: str
    did: str
    pds_url: str
    token_endpoint: str
    pkce_verifier: str = field(repr=False)
    dpop_private_jwk: str = field(repr=False)
    created_at: datetime
    expires_at: datetime

    def origin(self) -> SessionOrigin:
        return SessionOrigin(
            self.did, self.issuer, self.pds_url, self.token_endpoint, self.dpop_private_jwk
        )


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    did: str
    issuer: str
    pds_url: str
    token_endpoint: str
    scope: str
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    dpop_private_jwk: str = field(repr=False)
    expires_at: datetime
    updated_at: datetime

    def origin(self) -> SessionOrigin:
        return SessionOrigin(
            self.did, self.issuer, self.pds_url, self.token_endpoint, self.dpop_private_jwk
        )


class AuthRequestStore(Protocol):
    async def add(self, request: PendingAuthorization) -> None:
        """Stores and commits: the state must exist before the browser leaves."""

    async def take(self, state: str, browser_binding_hash: str) -> PendingAuthorization | None:
        """Removes and returns the request in one committed step: a state is single use.

        Only the browser that started it can take it: with another binding, nothing
        is removed and None comes back."""

    async def is_pending(self, state: str) -> bool:
        """Whether the state was issued and not taken yet (expired or not)."""


Save = Callable[[OAuthTokens], Awaitable[None]]


class OAuthSessionStore(Protocol):
    async def save(self, tokens: OAuthTokens) -> None: ...

    def refreshing(self, did: str) -> AbstractAsyncContextManager[tuple[OAuthTokens | None, Save]]:
        """Holds the DID's row locked while a refresh runs: one refresh per DID at a time."""
