"""What the fake authorization server has handed out: PAR requests, codes, refresh and
access tokens. Codes and refresh tokens are single use; a refresh token is bound to the
client and the DPoP key it was issued to, and is replaced by a new one on use.

Like atproto's server, the tokens of one sign-in form one grant (a refresh keeps it):
revoking either token (RFC 7009) ends the grant, so both stop working."""

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
    grant_id: str = field(default_factory=lambda: secrets.token_urlsafe(12))


@dataclass
class Grants:
    pars: dict[str, Par] = field(default_factory=dict)
    codes: dict[str, tuple[Par, str]] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    revoked_grants: int = 0

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

    def new_tokens(self, grant: Grant) -> tuple[str, str]:
        """A new access and refresh token for the grant; the grant's earlier access
        tokens stop working (a refresh replaces them)."""
        self._forget(grant.grant_id, refresh=False)
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.access_tokens[access] = grant
        self.refresh_tokens[refresh] = grant
        return access, refresh

    def live_grant(self, access_token: str) -> Grant | None:
        return self.access_tokens.get(access_token)

    def revoke(self, token: str, client_id: str, jkt: str) -> None:
        """RFC 7009: an unknown token is not an error. A token issued to another
        client, or bound to another DPoP key, is refused."""
        grant = self.refresh_tokens.get(token) or self.access_tokens.get(token)
        if grant is None:
            return
        if client_id != grant.client_id:
            raise Refused("invalid_grant", "the token was not issued to this client")
        if jkt != grant.jkt:
            raise Refused("invalid_dpop_proof", "DPoP key differs from the token's")
        self._forget(grant.grant_id, refresh=True)
        self.revoked_grants += 1

    def _forget(self, grant_id: str, *, refresh: bool) -> None:
        kinds = (self.access_tokens, self.refresh_tokens) if refresh else (self.access_tokens,)
        for tokens in kinds:
            for token in [t for t, g in tokens.items() if g.grant_id == grant_id]:
                del tokens[token]
