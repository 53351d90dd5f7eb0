"""Token-endpoint calls with DPoP: one retry when the server demands a fresh nonce."""

from __future__ import annotations

from typing import Any

from talk_backend.application.errors import UpstreamFailure
from talk_backend.infrastructure.bluesky.dpop import DpopKey, DpopNonces
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.origin import origin_of


class DpopPoster:
    def __init__(self, http: GuardedHttpClient, nonces: DpopNonces) -> None:
        self._http = http
        self._nonces = nonces

    async def post_form(self, url: str, form: dict[str, str], key: DpopKey) -> tuple[int, Any]:
        """POSTs with a DPoP proof; on `use_dpop_nonce` retries once with the new nonce.

        Returns the status and the JSON body (None when empty); error bodies are
        returned, not raised: a second `use_dpop_nonce` is the caller's to report."""
        status, body, gave_nonce = await self._post(url, form, key)
        wants_nonce = isinstance(body, dict) and body.get("error") == "use_dpop_nonce"
        if status in (400, 401) and wants_nonce:
            if not gave_nonce:
                raise UpstreamFailure("the server asked for a DPoP nonce without giving one")
            status, body, _ = await self._post(url, form, key)
        return status, body

    async def _post(self, url: str, form: dict[str, str], key: DpopKey) -> tuple[int, Any, bool]:
        proof = key.proof("POST", url, self._nonces.get(url))
        response = await self._http.request(
            "POST", url, data=form, headers={"DPoP": proof, "Accept": "application/json"}
        )
        nonce = response.headers.get("DPoP-Nonce")
        self._nonces.remember(url, nonce)
        try:
            # An empty body is a valid answer of some endpoints (RFC 7009's 200).
            body = response.json() if response.content else None
        except ValueError:
            raise UpstreamFailure(f"{origin_of(url)} did not answer with JSON") from None
        return response.status_code, body, nonce is not None
