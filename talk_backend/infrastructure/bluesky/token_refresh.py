"""Refreshing a DID's tokens. Refresh tokens are single use, so two refreshes racing
would log the account out: the store holds the DID's row locked for the whole call."""

from __future__ import annotations

from datetime import timedelta

from talk_backend.application.ports import Clock
from talk_backend.domain.errors import SignInFailed
from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.infrastructure.bluesky.dpop import DpopKey
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.sign_in import checked_tokens
from talk_backend.infrastructure.bluesky.state import (
    OAuthSessionStore,
    OAuthTokens,
    PendingAuthorization,
)

_EARLY = timedelta(minutes=2)


class AtprotoTokenRefresher:
    def __init__(
        self,
        client: ClientIdentity,
        poster: DpopPoster,
        sessions: OAuthSessionStore,
        clock: Clock,
    ) -> None:
        self._client = client
        self._poster = poster
        self._sessions = sessions
        self._clock = clock

    async def fresh_tokens(self, did: str) -> OAuthTokens:
        """Tokens valid for a while yet; refreshes (once, under the lock) if needed."""
        async with self._sessions.refreshing(did) as (current, save):
            if current is None:
                raise SignInFailed(f"no Bluesky session for {did}")
            if current.expires_at - _EARLY > self._clock.now():
                return current  # someone else refreshed while we waited for the lock
            if current.refresh_token is None:
                raise SignInFailed("the Bluesky session expired and cannot be refreshed")
            form = {
                **self._client.auth_params(current.issuer),
                "grant_type": "refresh_token",
                "refresh_token": current.refresh_token,
            }
            key = DpopKey.from_json(current.dpop_private_jwk)
            status, body = await self._poster.post_form(current.token_endpoint, form, key)
            if status != 200 or not isinstance(body, dict):
                raise SignInFailed("the token refresh failed")
            origin = PendingAuthorization(
                state="",
                browser_binding_hash="",
                issuer=current.issuer,
                did=current.did,
                pds_url=current.pds_url,
                token_endpoint=current.token_endpoint,
                pkce_verifier="",
                dpop_private_jwk=current.dpop_private_jwk,
                created_at=current.updated_at,
                expires_at=current.expires_at,
            )
            renewed = checked_tokens(body, origin, self._clock.now())
            await save(renewed)
            return renewed
