"""Keeping a DID's tokens fresh. Refresh tokens are single use, so two refreshes
racing would log the account out: the store holds the DID's row locked from the
read to the save, and whoever waited on the lock finds the tokens already fresh.

Nothing here puts a token in a message: errors name the server's error code only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from talk_backend.application.errors import GrantRefreshRefused, UpstreamFailure
from talk_backend.application.oauth_state import OAuthTokens
from talk_backend.application.ports import BlueskyGrantStatus, Clock, OAuthGrantStore
from talk_backend.domain.identity import Did
from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.infrastructure.bluesky.dpop import DpopKey
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.token_response import checked_tokens, error_code

# Refresh a little before expiry: a token that expires in flight is no better.
EARLY = timedelta(minutes=2)


class NoBlueskyGrant(LookupError):
    """No tokens are stored for the account (never signed in through this server).
    Not a refusal by Bluesky: callers answer "none" (BlueskyGrants gives None)."""


@dataclass(frozen=True, slots=True)
class AtprotoTokenRefresher:
    """For every call this server makes to an account's PDS: `fresh_tokens` first."""

    client: ClientIdentity
    poster: DpopPoster
    grants: OAuthGrantStore
    clock: Clock

    async def fresh_tokens(self, did: str) -> OAuthTokens:
        """Tokens valid for a while yet; refreshes (once, under the lock) if needed."""
        async with self.grants.refreshing(did) as (current, save):
            if current is None:
                raise NoBlueskyGrant(f"no Bluesky grant for {did}")
            if current.expires_at - EARLY > self.clock.now():
                return current  # fresh, or someone else refreshed while we waited
            if current.refresh_token is None:
                raise GrantRefreshRefused("the Bluesky grant expired and has no refresh token")
            renewed = await self._refresh(current, current.refresh_token)
            await save(renewed)
            return renewed

    async def _refresh(self, current: OAuthTokens, refresh_token: str) -> OAuthTokens:
        form = {
            **self.client.auth_params(current.issuer),
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        key = DpopKey.from_json(current.dpop_private_jwk)
        status, body = await self.poster.post_form(current.token_endpoint, form, key)
        if status != 200 or not isinstance(body, dict):
            code = error_code(body)
            if code == "invalid_grant":  # spent, revoked or expired: only a sign-in helps
                raise GrantRefreshRefused(f"Bluesky refused to refresh the grant ({code})")
            raise UpstreamFailure(f"the Bluesky grant refresh failed ({code})")
        return checked_tokens(body, current.origin(), self.clock.now())


@dataclass(frozen=True, slots=True)
class AtprotoBlueskyGrants:
    """BlueskyGrants: the status of an account's grant, after a refresh if due."""

    refresher: AtprotoTokenRefresher

    async def fresh_status(self, did: Did) -> BlueskyGrantStatus | None:
        try:
            tokens = await self.refresher.fresh_tokens(did.value)
        except NoBlueskyGrant:
            return None
        return BlueskyGrantStatus(tokens.did, tokens.scope, tokens.expires_at)
