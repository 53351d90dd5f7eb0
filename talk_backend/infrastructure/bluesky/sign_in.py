"""The real BlueskySignIn: atproto OAuth with PAR, PKCE S256 and DPoP."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from talk_backend.application.errors import AuthorizationRefused, SignInRejected, UpstreamFailure
from talk_backend.application.oauth_state import GrantOrigin, OAuthTokens, PendingAuthorization
from talk_backend.application.ports import (
    AuthorizationCallback,
    AuthorizationRedirect,
    AuthRequestStore,
    BlueskyGrantRevocation,
    Clock,
    CompletedSignIn,
)
from talk_backend.domain.errors import SignInDeclined
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity
from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.infrastructure.bluesky.discovery import discover, issuer_of
from talk_backend.infrastructure.bluesky.dpop import DpopKey
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.bluesky.identity_resolver import AtprotoIdentityResolver
from talk_backend.infrastructure.bluesky.pkce import new_verifier, s256_challenge
from talk_backend.infrastructure.bluesky.token_response import (
    checked_tokens,
    error_code,
    error_description,
)
from talk_backend.infrastructure.origin import origin_of
from talk_backend.settings import Settings

# We issue states as token_urlsafe(32); anything else cannot be ours (and must not
# reach SQL: PostgreSQL refuses NUL bytes in text).
_STATE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
# What a PAR carries that must not be shown back (client_id, redirect_uri may be).
_PAR_SECRETS = ("state", "code_challenge", "client_assertion")
# A pending request started at the entryway: the account is chosen at the server.
UNKNOWN_ACCOUNT = ""


def binding_hash(browser_binding: str) -> str:
    return hashlib.sha256(browser_binding.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AtprotoOAuthSignIn:
    """Settings used: the entryway (ATPROTO_PDS_URL), where a sign-in without an
    account starts, and how long an authorization request may stay pending."""

    client: ClientIdentity
    http: GuardedHttpClient
    resolver: AtprotoIdentityResolver
    poster: DpopPoster
    requests: AuthRequestStore
    clock: Clock
    settings: Settings
    # A refusal after the token exchange revokes the tokens it got (CompleteSignIn does the
    # same for the refusals it decides; this is for those decided here).
    revocation: BlueskyGrantRevocation

    async def begin(
        self, account: Did | Handle | None, browser_binding: str
    ) -> AuthorizationRedirect:
        if not browser_binding:
            raise SignInRejected("sign-in needs a browser binding")
        if account is None:
            # atproto OAuth may start at a server instead of an account: the person
            # picks the account there, and the DID is known only from the token's `sub`.
            did, pds_url = UNKNOWN_ACCOUNT, ""
            server = await discover(self.http, self.settings.atproto_pds_url)
        else:
            resolved = await self.resolver.resolve(account)
            did, pds_url = resolved.did.value, resolved.pds_url
            server = await discover(self.http, resolved.pds_url)
        verifier, key, state = new_verifier(), DpopKey.generate(), secrets.token_urlsafe(32)
        hint = {} if account is None else {"login_hint": str(account)}
        form = {
            **self.client.auth_params(server.issuer),
            "response_type": "code",
            "redirect_uri": self.client.redirect_uri,
            "scope": self.client.scope,
            "state": state,
            "code_challenge": s256_challenge(verifier),
            "code_challenge_method": "S256",
            **hint,
        }
        status, body = await self.poster.post_form(server.par_endpoint, form, key)
        if status not in (200, 201):
            # The person should see why (e.g. "Invalid client ID"): the PAR carries no
            # token, and its one-time values are cut out of the description.
            sent = [form.get(name, "") for name in _PAR_SECRETS]
            raise AuthorizationRefused(error_code(body), error_description(body, sent))
        # RFC 9126 says 201; a 200 with a request_uri is taken too.
        request_uri = body.get("request_uri") if isinstance(body, dict) else None
        if not isinstance(request_uri, str) or not request_uri:
            raise UpstreamFailure(
                f"{origin_of(server.par_endpoint)} accepted the sign-in without a request_uri"
            )
        now = self.clock.now()
        await self.requests.add(
            PendingAuthorization(
                state=state,
                browser_binding_hash=binding_hash(browser_binding),
                issuer=server.issuer,
                did=did,
                pds_url=pds_url,
                token_endpoint=server.token_endpoint,
                pkce_verifier=verifier,
                dpop_private_jwk=key.to_json(),
                created_at=now,
                expires_at=now + timedelta(seconds=self.settings.oauth.auth_request_ttl_seconds),
            )
        )
        query = urlencode({"client_id": self.client.client_id, "request_uri": request_uri})
        return AuthorizationRedirect(f"{server.authorization_endpoint}?{query}", state)

    async def complete(self, callback: AuthorizationCallback) -> CompletedSignIn:
        """Checks state (single use, this browser, not expired), issuer, then exchanges the
        code; `sub` must be the DID resolved at the start and the scope must hold atproto.

        The tokens come back as the grant, unsaved: CompleteSignIn keeps them for members only."""
        if not _STATE.match(callback.state):
            raise SignInRejected("unknown or already used sign-in state")
        # Only the browser that started the sign-in can use up its state: a callback
        # from anywhere else (someone who saw the URL) leaves it for the real one.
        given = binding_hash(callback.browser_binding or "")
        pending = await self.requests.take(callback.state, given)
        if pending is None:
            if await self.requests.is_pending(callback.state):
                raise SignInRejected("sign-in was started in another browser")
            raise SignInRejected("unknown or already used sign-in state")
        now = self.clock.now()
        if now >= pending.expires_at:
            raise SignInRejected("the sign-in took too long; start again")
        if callback.error == "access_denied":
            raise SignInDeclined("Bluesky refused the sign-in: access_denied (the person declined)")
        if callback.error:
            raise SignInRejected(f"Bluesky refused the sign-in: {callback.error[:100]}")
        if callback.iss != pending.issuer:
            raise SignInRejected("authorization response came from an unexpected issuer")
        if not callback.code:
            raise SignInRejected("authorization response carries no code")
        tokens = await self._exchange(pending, callback.code)
        try:
            # tokens.did: the DID resolved at the start, or the one picked at the entryway.
            document = await self.resolver.resolve_did(Did(tokens.did))
            handle = await self.resolver.verified_handle(document)
        except Exception:
            await self.revocation.revoke(tokens)
            raise
        return CompletedSignIn(VerifiedIdentity(Did(tokens.did), handle), tokens)

    async def _exchange(self, pending: PendingAuthorization, code: str) -> OAuthTokens:
        key = DpopKey.from_json(pending.dpop_private_jwk)
        form = {
            **self.client.auth_params(pending.issuer),
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.client.redirect_uri,
            "code_verifier": pending.pkce_verifier,
        }
        # The code is spent by this call whatever happens: it is never resent.
        status, body = await self.poster.post_form(pending.token_endpoint, form, key)
        if status != 200 or not isinstance(body, dict):
            code = error_code(body)
            if code == "invalid_grant":  # the code the browser brought back is no good
                raise SignInRejected(f"the authorization code was not accepted ({code})")
            raise UpstreamFailure(f"the authorization server refused the token exchange ({code})")
        origin = pending.origin()
        try:
            if pending.did == UNKNOWN_ACCOUNT:
                origin = await self._chosen_account(body.get("sub"), origin)
            return checked_tokens(body, origin, self.clock.now())
        except Exception:
            # Tokens we refuse to use must not stay live at the server that issued them.
            await self._revoke_unchecked(body, origin)
            raise

    async def _revoke_unchecked(self, body: dict[str, object], origin: GrantOrigin) -> None:
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if not isinstance(access, str):
            return
        now = self.clock.now()
        await self.revocation.revoke(
            OAuthTokens(
                did=origin.did,
                issuer=origin.issuer,
                pds_url=origin.pds_url,
                token_endpoint=origin.token_endpoint,
                scope="",
                access_token=access,
                refresh_token=refresh if isinstance(refresh, str) else None,
                dpop_private_jwk=origin.dpop_private_jwk,
                expires_at=now,
                updated_at=now,
            )
        )

    async def _chosen_account(self, sub: object, origin: GrantOrigin) -> GrantOrigin:
        """An account picked at the entryway: its own PDS must name the issuer that
        vouched for it, or any server could claim any DID."""
        if not isinstance(sub, str) or not sub.startswith("did:"):
            raise UpstreamFailure("the authorization server named no account")
        resolved = await self.resolver.resolve(Did.parse(sub))
        if await issuer_of(self.http, resolved.pds_url) != origin.issuer:
            raise UpstreamFailure("the account's PDS does not trust the server that vouched for it")
        return GrantOrigin(
            resolved.did.value,
            origin.issuer,
            resolved.pds_url,
            origin.token_endpoint,
            origin.dpop_private_jwk,
        )
