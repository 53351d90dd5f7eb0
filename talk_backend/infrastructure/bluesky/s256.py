"""base64url(SHA-256(text)) without padding: PKCE's S256 code challenge (RFC 7636)
and DPoP's `ath` access-token hash (RFC 9449) are both this."""

from __future__ import annotations

import base64
import hashlib


def s256(text: str) -> str:
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
