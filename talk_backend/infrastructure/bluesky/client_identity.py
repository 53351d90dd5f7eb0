"""Who this OAuth client is: client_id, redirect URI, metadata and key, all from
configuration. A request's Host header never enters here."""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from talk_backend.infrastructure.bluesky.client_id_rules import METADATA_PATH
from talk_backend.settings import OAuthSettings

if TYPE_CHECKING:
    # Imported where a key is read or used: the container builds a ClientIdentity in
    # every run, and joserfc with cryptography is ~130 ms a public client never needs.
    from joserfc.jwk import ECKey

CALLBACK_PATH = "/auth/callback"
JWKS_PATH = "/oauth/jwks.json"
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def load_client_key(text: str) -> ECKey:
    """Reads an ES256 private key given as PEM or JWK JSON; never echoes it."""
    from joserfc.jwk import ECKey

    try:
        source: Any = json.loads(text) if text.lstrip().startswith("{") else text
        key = ECKey.import_key(source)
    except Exception:
        raise ValueError("OAUTH__PRIVATE_KEY is not an EC private key (PEM or JWK)") from None
    if key.as_dict(private=False).get("crv") != "P-256" or not key.is_private:
        raise ValueError("OAUTH__PRIVATE_KEY must be a P-256 (ES256) private key")
    return key


class ClientIdentity:
    def __init__(self, settings: OAuthSettings) -> None:
        self.redirect_uri = settings.public_url + CALLBACK_PATH
        self.scope = settings.scope
        self._key: ECKey | None = None
        if settings.private_key is not None:
            self._key = load_client_key(settings.private_key.get_secret_value())
            self.client_id = settings.public_url + METADATA_PATH
            self._jwks_uri = settings.public_url + JWKS_PATH
        else:
            # atproto's loopback client: exactly `localhost`, no port, no metadata to fetch.
            query = urlencode({"redirect_uri": self.redirect_uri, "scope": self.scope})
            self.client_id = f"http://localhost?{query}"
            self._jwks_uri = ""

    def metadata(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "client_id": self.client_id,
            "client_name": "talk-backend",
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": self.scope,
            "redirect_uris": [self.redirect_uri],
            "dpop_bound_access_tokens": True,
            "token_endpoint_auth_method": "none",
        }
        if self._key is not None:
            document.update(
                token_endpoint_auth_method="private_key_jwt",  # noqa: S106 (a method name)
                token_endpoint_auth_signing_alg="ES256",  # noqa: S106 (an algorithm name)
                jwks_uri=self._jwks_uri,
            )
        return document

    def jwks(self) -> dict[str, Any]:
        if self._key is None:
            return {"keys": []}
        public = self._key.as_dict(private=False)
        public.update(kid=self._key.thumbprint(), use="sig", alg="ES256")
        return {"keys": [public]}

    def auth_params(self, issuer: str) -> dict[str, str]:
        """client_id, plus a signed client assertion for a confidential client."""
        params = {"client_id": self.client_id}
        if self._key is not None:
            now = int(time.time())
            claims = {
                "iss": self.client_id,
                "sub": self.client_id,
                "aud": issuer,
                "jti": secrets.token_urlsafe(16),
                "iat": now,
                "exp": now + 60,
            }
            from joserfc import jwt

            header = {"alg": "ES256", "kid": self._key.thumbprint()}
            params["client_assertion_type"] = _ASSERTION_TYPE
            params["client_assertion"] = jwt.encode(header, claims, self._key)
        return params
