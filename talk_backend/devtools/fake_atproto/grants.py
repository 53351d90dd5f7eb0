"""What the fake authorization server has handed out: PAR requests, codes and refresh
tokens. Codes and refresh tokens are single use; a refresh token is bound to the
client and the DPoP key it was issued to, and is replaced by a new one on use."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from talk_backend.infrastructure.bluesky.pkce import s256_challenge


class Refused(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error


@dataclass
class Par:
    params: dict[str, str]
    jkt: str
    expires: float
    # Set when the consent page is first shown: the browser it is bound to.
    device: str | None = None
    csrf: str | None = None


@dataclass(frozen=True)
class Grant:
    """Who a token response is for, and what it is bound to."""

    did: str
    scope: str
    client_id: str
    jkt: str


@dataclass
class Grants:
    pars: dict[str, Par] = field(default_factory=dict)
    codes: dict[str, tuple[Par, str]] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)

    def new_code(self, par: Par, did: str) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = (par, did)
        return code

    def redeem_code(self, form: dict[str, str], jkt: str) -> Grant:
        found = self.codes.pop(form.get("code", ""), None)  # single use, even when refused
        if found is None:
            raise Refused("invalid_grant", "unknown or used code")
        par, did = found
        params = par.params
        if jkt != par.jkt:
            raise Refused("invalid_dpop_proof", "DPoP key differs from the PAR's")
        if s256_challenge(form.get("code_verifier", "")) != params["code_challenge"]:
            raise Refused("invalid_grant", "PKCE verification failed")
        if form.get("redirect_uri") != params["redirect_uri"]:
            raise Refused("invalid_grant", "redirect_uri mismatch")
        if form.get("client_id") != params.get("client_id"):
            raise Refused("invalid_grant", "client_id mismatch")
        return Grant(did, params["scope"], params.get("client_id", ""), jkt)

    def redeem_refresh(self, form: dict[str, str], jkt: str) -> Grant:
        token = form.get("refresh_token", "")
        grant = self.refresh_tokens.get(token)
        if grant is None:
            raise Refused("invalid_grant", "unknown or used refresh token")
        # Checked before the token is spent: someone holding a stolen token but not the
        # key must not be able to burn it.
        if jkt != grant.jkt:
            raise Refused("invalid_dpop_proof", "DPoP key differs from the token's")
        if form.get("client_id") != grant.client_id:
            raise Refused("invalid_grant", "client_id mismatch")
        del self.refresh_tokens[token]
        return grant

    def new_refresh_token(self, grant: Grant) -> str:
        token = secrets.token_urlsafe(32)
        self.refresh_tokens[token] = grant
        return token
