"""Asks a Bluesky server, over HTTP, whether a grant's tokens still work: the PDS's
getSession with the access token, the token endpoint with the refresh token. For
tests of revocation, against the fake services or the reference PDS alike."""

from __future__ import annotations

from dataclasses import dataclass

from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.infrastructure.bluesky.dpop import DpopKey
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient


@dataclass
class GrantProbe:
    http: GuardedHttpClient
    poster: DpopPoster
    client: ClientIdentity

    async def pds_status(self, pds_url: str, access_token: str, dpop_jwk: str) -> int:
        """The HTTP status of com.atproto.server.getSession (after one nonce retry)."""
        key = DpopKey.from_json(dpop_jwk)
        url = f"{pds_url}/xrpc/com.atproto.server.getSession"
        nonce = None
        for _ in range(2):
            headers = {
                "Authorization": f"DPoP {access_token}",
                "DPoP": key.proof("GET", url, nonce, access_token),
            }
            answer = await self.http.request("GET", url, headers=headers)
            asks_nonce = 'error="use_dpop_nonce"' in answer.headers.get("www-authenticate", "")
            if answer.status_code == 401 and asks_nonce and nonce is None:
                nonce = answer.headers.get("dpop-nonce")
                continue
            return answer.status_code
        return answer.status_code

    async def refresh(
        self, issuer: str, token_endpoint: str, refresh_token: str, dpop_jwk: str
    ) -> tuple[int, object]:
        """Status and body of a refresh_token grant (which spends the token if it works)."""
        form = {
            **self.client.auth_params(issuer),
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        return await self.poster.post_form(token_endpoint, form, DpopKey.from_json(dpop_jwk))
