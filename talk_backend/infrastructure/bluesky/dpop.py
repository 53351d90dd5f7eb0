"""DPoP (RFC 9449) proofs with ES256 keys, and the newest server nonce per origin."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.jwk import ECKey


def htu(url: str) -> str:
    """The URL a proof names: no query, no fragment."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def access_token_hash(token: str) -> str:
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class DpopKey:
    """One per grant (OAuth sign-in): tokens are bound to it, so it is as secret as they are."""

    def __init__(self, key: ECKey) -> None:
        self._key = key

    @classmethod
    def generate(cls) -> DpopKey:
        return cls(ECKey.generate_key("P-256", private=True))

    @classmethod
    def from_json(cls, text: str) -> DpopKey:
        return cls(ECKey.import_key(json.loads(text)))

    def to_json(self) -> str:
        return json.dumps(self._key.as_dict(private=True))

    def __repr__(self) -> str:
        return f"DpopKey(thumbprint={self._key.thumbprint()})"

    def proof(
        self, method: str, url: str, nonce: str | None, access_token: str | None = None
    ) -> str:
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self._key.as_dict(private=False)}
        claims: dict[str, object] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": htu(url),
            "iat": int(time.time()),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        return jwt.encode(header, claims, self._key)


class DpopNonces:
    """The newest nonce each server handed out, shared by all grants of this process."""

    def __init__(self) -> None:
        self._by_origin: dict[str, str] = {}

    def get(self, url: str) -> str | None:
        return self._by_origin.get(_origin(url))

    def remember(self, url: str, nonce: str | None) -> None:
        if nonce:
            self._by_origin[_origin(url)] = nonce


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
