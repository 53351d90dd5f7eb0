"""Server-side DPoP proof checks, as an atproto authorization server makes them."""

from __future__ import annotations

import time
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from joserfc.jws import extract_compact

from talk_backend.infrastructure.bluesky.s256 import s256


class DpopRejected(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error


def check_proof(
    proof: str | None,
    method: str,
    url: str,
    nonce: str,
    seen: set[str],
    access_token: str | None = None,
) -> str:
    """Returns the key's thumbprint; raises DpopRejected (use_dpop_nonce when the
    proof lacks the current nonce). With an access token (a resource request), the
    proof must carry its hash (`ath`)."""
    if not proof:
        raise DpopRejected("invalid_dpop_proof", "DPoP header missing")
    try:
        header: dict[str, Any] = extract_compact(proof.encode()).protected
        if header.get("typ") != "dpop+jwt" or header.get("alg") != "ES256":
            raise DpopRejected("invalid_dpop_proof", "typ must be dpop+jwt, alg ES256")
        key = ECKey.import_key(header["jwk"])
        if key.is_private:
            raise DpopRejected("invalid_dpop_proof", "the proof carries a private key")
        claims = jwt.decode(proof, key, algorithms=["ES256"]).claims
    except (JoseError, KeyError, ValueError, TypeError) as exc:
        raise DpopRejected("invalid_dpop_proof", f"bad proof: {type(exc).__name__}") from None
    if claims.get("htm") != method or claims.get("htu") != url:
        raise DpopRejected("invalid_dpop_proof", "htm/htu do not match the request")
    if abs(time.time() - int(claims.get("iat", 0))) > 60:
        raise DpopRejected("invalid_dpop_proof", "iat is too far off")
    if claims.get("nonce") != nonce:
        raise DpopRejected("use_dpop_nonce", "Authorization server requires nonce in DPoP proof")
    if access_token is not None and claims.get("ath") != s256(access_token):
        raise DpopRejected("invalid_dpop_proof", "ath does not match the access token")
    jti = str(claims.get("jti", ""))
    if not jti or jti in seen:
        raise DpopRejected("invalid_dpop_proof", "jti missing or replayed")
    seen.add(jti)
    return key.thumbprint()
