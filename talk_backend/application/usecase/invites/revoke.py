"""An inviter withdraws one of their own pending invites."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from talk_backend.application.ports import Clock, InviteRepository, TransactionManager
from talk_backend.domain.errors import InviteNotFound, InviteNotPending, NotInviteOwner
from talk_backend.domain.invites import Invite


@dataclass(frozen=True, slots=True)
class RevokeInvite:
    invites: InviteRepository
    tx: TransactionManager
    clock: Clock

    async def execute(self, inviter_id: uuid.UUID, invite_id: uuid.UUID) -> Invite:
        """Only the inviter may revoke, and only while the invite is pending."""
        now = self.clock.now()
        async with self.tx:
            invite = await self.invites.get(invite_id)
            if invite is None:
                raise InviteNotFound(f"invite {invite_id} does not exist")
            if invite.inviter_id != inviter_id:
                raise NotInviteOwner("only the member who sent an invite can revoke it")
            revoked = invite.revoked(now)
            # Conditional: an acceptance that committed meanwhile wins over the revoke.
            if not await self.invites.mark_revoked(invite_id, now):
                raise InviteNotPending(f"invite {invite_id} was accepted or revoked meanwhile")
            await self.tx.commit()
        return revoked
