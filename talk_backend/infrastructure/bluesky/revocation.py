"""Revoking a grant at its authorization server (RFC 7009), as atproto's OAuth profile
has it: the request is authenticated like a token request (a client assertion for a
confidential client, the client_id for the loopback one) and carries a DPoP proof by
the grant's own key, with the server's nonce.

A failure is logged and swallowed: sign-out and refusals must not wait on Bluesky. The
log names the server's origin and what went wrong, never a token."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from talk_backend.application.oauth_state import OAuthTokens
from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.infrastructure.bluesky.discovery import server_at
from talk_backend.infrastructure.bluesky.dpop import DpopKey
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.bluesky.token_response import error_code
from talk_backend.infrastructure.origin import origin_of
from talk_backend.settings import Settings

_log = logging.getLogger("talk_backend.bluesky.revocation")


@dataclass(frozen=True, slots=True)
class AtprotoGrantRevocation:
    """BlueskyGrantRevocation. Settings used: the HTTP timeout, which also bounds the
    whole revocation (discovery, two tokens, nonce retries)."""

    client: ClientIdentity
    http: GuardedHttpClient
    poster: DpopPoster
    settings: Settings

    async def revoke(self, grant: object) -> None:
        if not isinstance(grant, OAuthTokens):
            raise TypeError("the grant did not come from the atproto sign-in")
        server = origin_of(grant.issuer)
        try:
            async with asyncio.timeout(self.settings.oauth.http_timeout_seconds * 2):
                await self._revoke(grant)
        except Exception as exc:  # any failure: logged, never blocking the caller
            # The type only: messages of lower layers may quote what was sent.
            _log.warning("revoking a Bluesky grant at %s failed: %s", server, type(exc).__name__)

    async def _revoke(self, grant: OAuthTokens) -> None:
        endpoint = (await server_at(self.http, grant.issuer)).revocation_endpoint
        if endpoint is None:
            _log.info("%s advertises no revocation endpoint", origin_of(grant.issuer))
            return
        key = DpopKey.from_json(grant.dpop_private_jwk)
        # The refresh token first: it is the long-lived one (and at atproto's server,
        # revoking either ends the whole grant).
        for hint, token in (
            ("refresh_token", grant.refresh_token),
            ("access_token", grant.access_token),
        ):
            if token is None:
                continue
            form = {
                **self.client.auth_params(grant.issuer),
                "token": token,
                "token_type_hint": hint,
            }
            status, body = await self.poster.post_form(endpoint, form, key)
            if status != 200:
                _log.warning(
                    "%s refused to revoke a %s: HTTP %s (%s)",
                    origin_of(endpoint),
                    hint,
                    status,
                    error_code(body),
                )
