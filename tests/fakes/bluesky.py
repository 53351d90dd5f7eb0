"""Working fakes of the Bluesky ports: sign-in, grant statuses, revocation.

Tests say who Bluesky will vouch for (`authorize`), or that it refuses (`refuse`);
flows are bound to `state` and the browser like the real client. Grants are
OAuthTokens, as the real client's are, so the persistence group (unmocked or faked)
stores them; the fake's authorization server (FakeTokenIssuer) knows which are live."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from talk_backend.application.errors import GrantRefreshRefused, SignInRejected
from talk_backend.application.oauth_state import OAuthTokens
from talk_backend.application.ports import (
    AuthorizationCallback,
    AuthorizationRedirect,
    BlueskyGrantStatus,
    Clock,
    CompletedSignIn,
    OAuthGrantStore,
)
from talk_backend.domain.errors import SignInDeclined
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity
from tests.fakes.oauth_state import sample_tokens

FAKE_ISSUER = "https://bluesky.fake.invalid"
FAKE_PDS = "https://pds.bluesky.fake.invalid"
# As token_refresh.EARLY: a grant this close to expiry is refreshed first.
EARLY = timedelta(minutes=2)


class FakeTokenIssuer:
    """The fake authorization server's books: the refresh tokens it issued that are
    still live. As at Bluesky, a refresh spends its token and revocation ends it."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.live: set[str] = set()

    def issue(self, did: str) -> OAuthTokens:
        tokens = sample_tokens(self._clock.now(), did, issuer=FAKE_ISSUER, pds_url=FAKE_PDS)
        self.live.add(str(tokens.refresh_token))
        return tokens

    def refresh(self, current: OAuthTokens) -> OAuthTokens:
        if current.issuer != FAKE_ISSUER or current.refresh_token not in self.live:
            raise GrantRefreshRefused("Bluesky refused to refresh the grant (invalid_grant)")
        self.live.discard(current.refresh_token)
        fresh = self.issue(current.did)
        # Same DPoP key: tokens stay bound to the key the grant began with.
        return replace(fresh, dpop_private_jwk=current.dpop_private_jwk)

    def revoke(self, grant: OAuthTokens) -> None:
        if grant.issuer == FAKE_ISSUER:
            self.live.discard(str(grant.refresh_token))


@dataclass
class _Flow:
    account: Did | Handle | None  # None: chosen at the authorization server
    browser_binding: str
    code: str | None = None
    identity: VerifiedIdentity | None = None
    refusal: str | None = None


class FakeBlueskySignIn:
    def __init__(self, tokens: FakeTokenIssuer) -> None:
        self._tokens = tokens
        self._flows: dict[str, _Flow] = {}

    async def begin(
        self, account: Did | Handle | None, browser_binding: str
    ) -> AuthorizationRedirect:
        if not browser_binding:
            raise SignInRejected("sign-in needs a browser binding")
        state = secrets.token_urlsafe(16)
        self._flows[state] = _Flow(account, browser_binding)
        return AuthorizationRedirect(f"{FAKE_ISSUER}/oauth/authorize?state={state}", state)

    def approve(self, state: str, identity: VerifiedIdentity) -> AuthorizationCallback:
        """The person approved at Bluesky: returns what the browser brings back."""
        flow = self._flows[state]
        flow.code, flow.identity = secrets.token_urlsafe(16), identity
        return AuthorizationCallback(state, flow.code, FAKE_ISSUER, flow.browser_binding)

    async def authorize(
        self, did: str, handle: str | None = None, *, handle_verified: bool = True
    ) -> AuthorizationCallback:
        """Shortcut for tests: begin a flow for `did` and have Bluesky vouch for it."""
        binding = secrets.token_urlsafe(8)
        redirect = await self.begin(Did.parse(did), binding)
        verified = Handle.parse(handle) if handle and handle_verified else None
        return self.approve(redirect.state, VerifiedIdentity(Did.parse(did), verified))

    async def refuse(self, did: str, reason: str = "access_denied") -> AuthorizationCallback:
        binding = secrets.token_urlsafe(8)
        redirect = await self.begin(Did.parse(did), binding)
        self._flows[redirect.state].refusal = reason
        return AuthorizationCallback(redirect.state, None, FAKE_ISSUER, binding, error=reason)

    async def complete(self, callback: AuthorizationCallback) -> CompletedSignIn:
        flow = self._flows.get(callback.state)
        if flow is None:
            raise SignInRejected("unknown or already used sign-in state")
        if callback.browser_binding != flow.browser_binding:
            # Like the real client: another browser cannot use up the state.
            raise SignInRejected("sign-in was started in another browser")
        del self._flows[callback.state]  # single use, like the real state
        if (callback.error or flow.refusal) == "access_denied":
            raise SignInDeclined("Bluesky refused the sign-in: access_denied (the person declined)")
        if callback.error or flow.refusal:
            raise SignInRejected(f"Bluesky refused the sign-in: {callback.error or flow.refusal}")
        if callback.iss != FAKE_ISSUER:
            raise SignInRejected("authorization response came from an unexpected issuer")
        if not callback.code:
            raise SignInRejected("authorization response carries no code")
        if flow.identity is None or callback.code != flow.code:
            raise SignInRejected("the authorization code was not accepted (invalid_grant)")
        grant = self._tokens.issue(flow.identity.did.value)
        return CompletedSignIn(flow.identity, grant)


class FakeBlueskyGrantRevocation:
    """Records what it was asked to revoke, in order, and ends it at the fake server;
    like the real one it never raises for a server's failures (a grant of another
    issuer is only recorded, as the real one would only log that it failed)."""

    def __init__(self, tokens: FakeTokenIssuer) -> None:
        self._tokens = tokens
        self.revoked: list[OAuthTokens] = []

    async def revoke(self, grant: object) -> None:
        if not isinstance(grant, OAuthTokens):
            raise TypeError("the grant did not come from the atproto sign-in")
        self.revoked.append(grant)
        self._tokens.revoke(grant)


@dataclass(frozen=True, slots=True)
class FakeBlueskyGrants:
    """AtprotoBlueskyGrants' rules over the stored grants (OAuthGrantStore), with the
    fake server refreshing: a member has a grant once a sign-in kept one."""

    grants: OAuthGrantStore
    tokens: FakeTokenIssuer
    clock: Clock

    async def fresh_status(self, did: Did) -> BlueskyGrantStatus | None:
        async with self.grants.refreshing(did.value) as (current, save):
            if current is None:
                return None
            if current.expires_at - EARLY <= self.clock.now():
                if current.refresh_token is None:
                    raise GrantRefreshRefused("the Bluesky grant expired and has no refresh token")
                current = self.tokens.refresh(current)
                await save(current)
        return BlueskyGrantStatus(current.did, current.scope, current.expires_at)
