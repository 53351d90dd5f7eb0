"""What the use cases need from the outside world, as Protocols.

Adapters in talk_backend.infrastructure implement these; tests/fakes hold in-memory
implementations that pass the same contract tests.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, Self

from talk_backend.application.oauth_state import OAuthTokens, PendingAuthorization, Save
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity
from talk_backend.domain.invites import Invite, Invitee
from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import WebSession


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Stores a new user; raises DuplicateUser when the DID is taken."""

    async def get(self, user_id: uuid.UUID) -> User | None: ...

    async def get_by_did(self, did: Did) -> User | None: ...

    async def get_by_handle(self, handle: Handle) -> User | None:
        """The member whose handle (as verified at their sign-in) this is, if any."""

    async def lock(self, user_id: uuid.UUID) -> User | None:
        """Like get, but holds the user's row until the transaction ends.

        Serialises work per user (an inviter's quota check and insert)."""


class InviteRepository(Protocol):
    async def add(self, invite: Invite) -> None: ...

    async def get(self, invite_id: uuid.UUID) -> Invite | None: ...

    async def list_by_inviter(self, inviter_id: uuid.UUID) -> list[Invite]:
        """Newest first."""

    async def count_pending(self, inviter_id: uuid.UUID, now: datetime) -> int:
        """Pending and unexpired invites the inviter has out."""

    async def has_pending_for(self, invitee: Invitee, now: datetime) -> bool: ...

    async def find_usable_for(self, identity: VerifiedIdentity, now: datetime) -> list[Invite]:
        """Pending, unexpired invites naming this identity, oldest first."""

    async def mark_accepted(self, invite_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> bool:
        """Accepts the invite only if it is still pending and unexpired.

        Returns False when another transaction got there first or it lapsed; the
        check and the write are one atomic step."""

    async def mark_revoked(self, invite_id: uuid.UUID, now: datetime) -> bool:
        """Revokes the invite only if it is still pending; False otherwise."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class TransactionManager(Protocol):
    """The unit of work: `async with tx:` opens it, `await tx.commit()` lands what was
    written since the last commit, and leaving the block undoes whatever was not
    committed, whether the block returned or raised (the exception propagates).

    Adapters subclass this Protocol to inherit the block's behaviour, so the contract
    is written once, here."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None:
        """Undoes what was written since the last commit; a no-op when nothing was."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.rollback()


@dataclass(frozen=True, slots=True)
class AuthorizationRedirect:
    """Where to send the browser, and the state that must come back with it."""

    url: str
    state: str


@dataclass(frozen=True, slots=True)
class AuthorizationCallback:
    """What the authorization server sent back, plus the browser's binding secret."""

    state: str
    code: str | None
    iss: str | None
    browser_binding: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CompletedSignIn:
    """Bluesky vouched for `identity`. `grant` is what it handed over (tokens, DPoP key):
    opaque to use cases, which keep it only for members."""

    identity: VerifiedIdentity
    grant: object = field(repr=False)


class BlueskySignIn(Protocol):
    """The Bluesky (atproto OAuth) side of signing in."""

    async def begin(
        self, account: Did | Handle | None, browser_binding: str
    ) -> AuthorizationRedirect:
        """Resolves the account and starts an authorization request at its server; with
        no account, starts at the entryway's authorization server, where the person
        picks the account (ATPROTO_PDS_URL).

        Raises AccountUnresolvable when the account does not resolve,
        AuthorizationRefused when its server refuses the request, UnsafeUrl when its
        documents lead somewhere this server must not go, UpstreamFailure when a
        server on the way could not be reached or answered unusably."""

    async def complete(self, callback: AuthorizationCallback) -> CompletedSignIn:
        """Finishes the flow; raises SignInRejected when the callback does not fit a
        sign-in under way, SignInDeclined when the person said no, UpstreamFailure when
        Bluesky's servers could not be reached or misbehaved (no vouching, bad tokens).

        Stores nothing about the account: a refused sign-in must leave no trace."""


class BlueskyGrantStore(Protocol):
    async def keep(self, signed_in: CompletedSignIn) -> object | None:
        """Stores the grant in the request's unit of work: it lands with the commit of
        the sign-in, or not at all. Returns the grant it replaced (the member's earlier
        sign-in), if any, for the caller to revoke once the new one is committed."""

    async def take(self, did: Did) -> object | None:
        """Removes the account's grant in the request's unit of work and returns it
        (None when there is none): gone with the commit, revocable after it."""


class BlueskyGrantRevocation(Protocol):
    """Ending a grant at Bluesky (RFC 7009), not only forgetting it here: tokens stay
    live at the PDS until they expire unless their authorization server revokes them."""

    async def revoke(self, grant: object) -> None:
        """Asks the grant's authorization server to revoke its refresh and access tokens,
        when its metadata advertises a revocation endpoint.

        Never raises for the server's failures (unreachable, 4xx/5xx, timeout): a failed
        revocation must not block a sign-out or a refusal. It is logged, without the token.
        Callers make this network call outside any database transaction."""


class WebSessionRepository(Protocol):
    async def add(self, session: WebSession) -> None: ...

    async def get(self, token_hash: str) -> WebSession | None: ...

    async def delete(self, token_hash: str) -> None: ...


class SignedInMembers(Protocol):
    """Every signed-in request asks who its cookie belongs to: one read, outside the
    request's unit of work (no transaction to begin and roll back for it)."""

    async def web_session_with_member(self, token_hash: str) -> tuple[WebSession, User] | None:
        """The web session with this token hash and its user, or None."""


class HealthCheck(Protocol):
    async def database_ok(self) -> bool:
        """True when the database answers a trivial query now."""


@dataclass(frozen=True, slots=True)
class BlueskyGrantStatus:
    did: str
    scope: str
    expires_at: datetime


class BlueskyGrants(Protocol):
    """The grants members gave this server at Bluesky (OAuth tokens): whether one is
    still usable, refreshing it when due."""

    async def fresh_status(self, did: Did) -> BlueskyGrantStatus | None:
        """The account's grant, refreshed first if due; None when there is none.

        Raises GrantRefreshRefused when Bluesky will not refresh it (the member must
        sign in again), UpstreamFailure when its server failed."""


class AuthRequestStore(Protocol):
    """The atproto OAuth client's pending authorization requests, between redirects."""

    async def add(self, request: PendingAuthorization) -> None:
        """Stores and commits: the state must exist before the browser leaves. Sweeps
        expired requests first; raises TooManyPendingSignIns when `max_pending` are
        still pending (a flood must not grow the store without bound)."""

    async def take(self, state: str, browser_binding_hash: str) -> PendingAuthorization | None:
        """Removes and returns the request in one committed step: a state is single use.

        Only the browser that started it can take it: with another binding, nothing
        is removed and None comes back."""

    async def is_pending(self, state: str) -> bool:
        """Whether the state was issued and not taken yet (expired or not)."""


class OAuthGrantStore(Protocol):
    """The atproto OAuth client's own access to grants, outside the unit of work: a
    refresh must stay saved once the old refresh token is spent."""

    async def save(self, tokens: OAuthTokens) -> None: ...

    def refreshing(self, did: str) -> AbstractAsyncContextManager[tuple[OAuthTokens | None, Save]]:
        """Holds the DID's row locked while a refresh runs: one refresh per DID at a time."""
