"""Keeping a DID's tokens fresh. Refresh tokens are single use, so two refreshes
racing would log the account out: the store holds the DID's row locked from the
read to the save, and whoever waited on the lock finds the tokens already fresh.

Nothing here puts a token in a message: errors name the server's error code only."""

from __future__ import annotations

from datetime import timedelta

from talk_backend.application.oauth_state import OAuthTokens
from talk_backend.application.ports import BlueskyGrantStatus, Clock, OAuthGrantStore
from talk_backend.domain.errors import SignInFailed
from talk_backend.domain.identity import Did
from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.infrastructure.bluesky.dpop import DpopKey
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.token_response import checked_tokens, error_code

# Refresh a little before expiry: a token that expires in flight is no better.
EARLY = timedelta(minutes=2)


class NoBlueskyGrant(SignInFailed):
    """No tokens are stored for the account (never signed in through this server)."""


class AtprotoTokenRefresher:
    """For every call this server makes to an account's PDS: `fresh_tokens` first."""

    def __init__(
        self,
        client: ClientIdentity,
        poster: DpopPoster,
        grants: OAuthGrantStore,
        clock: Clock,
    ) -> None:
        self._client = client
        self._poster = poster
        self._grants = grants
        self._clock = clock

    async def fresh_tokens(self, did: str) -> OAuthTokens:
        """Tokens valid for a while yet; refreshes (once, under the lock) if needed."""
        async with self._grants.refreshing(did) as (current, save):
            if current is None:
                raise NoBlueskyGrant(f"no Bluesky session for {did}")
            if current.expires_at - EARLY > self._clock.now():
                return current  # fresh, or someone else refreshed while we waited
            if current.refresh_token is None:
                raise SignInFailed("the Bluesky session expired and cannot be refreshed")
            renewed = await self._refresh(current, current.refresh_token)
            await save(renewed)
            return renewed

    async def _refresh(self, current: OAuthTokens, refresh_token: str) -> OAuthTokens:
        form = {
            **self._client.auth_params(current.issuer),
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        key = DpopKey.from_json(current.dpop_private_jwk)
        status, body = await self._poster.post_form(current.token_endpoint, form, key)
        if status != 200 or not isinstance(body, dict):
            raise SignInFailed(f"the Bluesky token refresh failed ({error_code(body)})")
        return checked_tokens(body, current.origin(), self._clock.now())


class AtprotoBlueskyGrants:
    """BlueskyGrants: the status of an account's grant, after a refresh if due."""

    def __init__(self, refresher: AtprotoTokenRefresher) -> None:
        self._refresher = refresher

    async def fresh_status(self, did: Did) -> BlueskyGrantStatus | None:
        try:
            tokens = await self._refresher.fresh_tokens(did.value)
        except NoBlueskyGrant:
            return None
        return BlueskyGrantStatus(tokens.did, tokens.scope, tokens.expires_at)
