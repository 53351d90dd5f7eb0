"""Working fakes of the Bluesky ports: sign-in, the grant store, grant statuses.

Tests say who Bluesky will vouch for (`authorize`), or that it refuses
(`refuse_next`); flows are bound to `state` and the browser like the real client."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from talk_backend.application.errors import SignInRejected
from talk_backend.application.ports import (
    AuthorizationCallback,
    AuthorizationRedirect,
    BlueskyGrantStatus,
    CompletedSignIn,
)
from talk_backend.domain.errors import SignInDeclined
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity

FAKE_ISSUER = "https://bluesky.fake.invalid"


@dataclass
class _Flow:
    account: Did | Handle | None  # None: chosen at the authorization server
    browser_binding: str
    code: str | None = None
    identity: VerifiedIdentity | None = None
    refusal: str | None = None


class FakeBlueskySignIn:
    def __init__(self) -> None:
        self._flows: dict[str, _Flow] = {}

    async def begin(
        self, account: Did | Handle | None, browser_binding: str
    ) -> AuthorizationRedirect:
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
        if flow.identity is None or callback.code != flow.code:
            raise SignInRejected("the authorization code was not accepted (invalid_grant)")
        return CompletedSignIn(flow.identity, FakeGrant(flow.identity.did.value))


@dataclass(frozen=True)
class FakeGrant:
    """Stands for the tokens and key Bluesky hands over."""

    did: str
    access_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))


class FakeBlueskyGrantStore:
    """Keeps grants in memory, one per DID like the real store; `kept` is what a test
    looks at (every grant kept, in order), `current` what is stored now."""

    def __init__(self) -> None:
        self.kept: list[FakeGrant] = []
        self.current: dict[str, FakeGrant] = {}

    async def keep(self, signed_in: CompletedSignIn) -> FakeGrant | None:
        if not isinstance(signed_in.grant, FakeGrant):
            raise TypeError("the grant did not come from the fake sign-in")
        self.kept.append(signed_in.grant)
        replaced = self.current.get(signed_in.grant.did)
        self.current[signed_in.grant.did] = signed_in.grant
        return replaced

    async def take(self, did: Did) -> FakeGrant | None:
        return self.current.pop(did.value, None)


class FakeBlueskyGrantRevocation:
    """Records what it was asked to revoke, in order; like the real one it never
    raises for Bluesky's failures (there are none here)."""

    def __init__(self) -> None:
        self.revoked: list[object] = []

    async def revoke(self, grant: object) -> None:
        if not isinstance(grant, FakeGrant):
            raise TypeError("the grant did not come from the fake sign-in")
        self.revoked.append(grant)


class FakeBlueskyGrants:
    """No member has a live grant unless a test puts one in `statuses` (by DID)."""

    def __init__(self) -> None:
        self.statuses: dict[str, BlueskyGrantStatus] = {}

    async def fresh_status(self, did: Did) -> BlueskyGrantStatus | None:
        return self.statuses.get(did.value)
