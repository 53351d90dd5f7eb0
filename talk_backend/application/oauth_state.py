"""What the atproto OAuth client keeps server-side: the pending authorization
request between redirects, and the grant (tokens and DPoP key) once signed in.

Tokens and DPoP keys live only here (PostgreSQL), never in cookies or logs: the
dataclasses hide them from repr."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class GrantOrigin:
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

    def origin(self) -> GrantOrigin:
        return GrantOrigin(
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

    def origin(self) -> GrantOrigin:
        return GrantOrigin(
            self.did, self.issuer, self.pds_url, self.token_endpoint, self.dpop_private_jwk
        )


Save = Callable[[OAuthTokens], Awaitable[None]]
