"""Sign in with Bluesky: members get in, invitees become members, others are refused."""

from __future__ import annotations

from dataclasses import dataclass

from talk_backend.application.ports import (
    AuthorizationCallback,
    BlueskyGrantRevocation,
    BlueskyGrantStore,
    BlueskySignIn,
    Clock,
    CompletedSignIn,
    InviteRepository,
    TransactionManager,
    UserRepository,
)
from talk_backend.domain.errors import DuplicateUser, InviteRequired
from talk_backend.domain.identity import VerifiedIdentity
from talk_backend.domain.users import User


@dataclass(frozen=True, slots=True)
class SignInResult:
    user: User
    created: bool


@dataclass(frozen=True, slots=True)
class _Admitted:
    result: SignInResult
    replaced_grant: object | None = None


@dataclass(frozen=True, slots=True)
class CompleteSignIn:
    bluesky: BlueskySignIn
    users: UserRepository
    invites: InviteRepository
    tx: TransactionManager
    clock: Clock
    grants: BlueskyGrantStore
    revocation: BlueskyGrantRevocation

    async def execute(self, callback: AuthorizationCallback) -> SignInResult:
        """A known DID signs in. An unknown DID needs a usable invite: the invite is
        claimed and the user created in one transaction, or nothing is. Bluesky's grant
        (tokens, key) is stored in that same transaction, only once the person is a
        member: a refused sign-in writes nothing, and its fresh tokens are revoked at
        Bluesky. A member's earlier grant is replaced, then revoked.

        Revocation is a network call, so it runs after the transaction ended (committed
        or rolled back): holding the transaction, and the grant row's lock, open across
        a call to someone else's server would let a slow server stall other sign-ins
        and refreshes of the account. A revocation that fails leaves a token to expire
        on its own; that is the lesser harm, and the port never lets it block us."""
        signed_in = await self.bluesky.complete(callback)
        try:
            admitted = await self._admit_or_refuse(signed_in)
        except Exception:
            # Refused (no invite) or failed after the token exchange: nothing was kept,
            # so the tokens just obtained must not stay live at Bluesky either.
            await self.revocation.revoke(signed_in.grant)
            raise
        if admitted.replaced_grant is not None:
            await self.revocation.revoke(admitted.replaced_grant)
        return admitted.result

    async def _admit_or_refuse(self, signed_in: CompletedSignIn) -> _Admitted:
        identity = signed_in.identity
        async with self.tx:
            existing = await self.users.get_by_did(identity.did)
            if existing is not None:
                return await self._admit(existing, signed_in, created=False)
            try:
                user = await self._claim_invite_and_register(identity)
            except DuplicateUser:
                user = None
            if user is None:
                # Losing a race to a concurrent first sign-in of the same DID looks like
                # "no invite left" or a duplicate DID. The winner's commit is visible
                # now (READ COMMITTED), so sign in as its user.
                await self.tx.rollback()
                existing = await self.users.get_by_did(identity.did)
                if existing is not None:
                    return await self._admit(existing, signed_in, created=False)
                raise InviteRequired(
                    f"{identity.did} has no account and no valid invite; ask a member to invite you"
                )
            return await self._admit(user, signed_in, created=True)

    async def _admit(self, user: User, signed_in: CompletedSignIn, *, created: bool) -> _Admitted:
        replaced = await self.grants.keep(signed_in)
        await self.tx.commit()
        return _Admitted(SignInResult(user, created=created), replaced)

    async def _claim_invite_and_register(self, identity: VerifiedIdentity) -> User | None:
        now = self.clock.now()
        for invite in await self.invites.find_usable_for(identity, now):
            user = User.register(identity.did, identity.verified_handle, now, invite.inviter_id)
            # Claim first: the conditional UPDATE is what serialises racing sign-ins.
            # invites.accepted_by is a deferred foreign key, checked at commit.
            if await self.invites.mark_accepted(invite.id, user.id, now):
                await self.users.add(user)
                return user
        return None
