"""An active member invites someone, named by handle or DID, within their quota."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from talk_backend.application.invite_policy import InvitePolicy
from talk_backend.application.ports import (
    Clock,
    InviteRepository,
    TransactionManager,
    UserRepository,
)
from talk_backend.domain.errors import (
    AlreadyMember,
    InvalidInvitee,
    InviteAlreadyPending,
    InviteQuotaExceeded,
    InviterNotActive,
    UserNotFound,
)
from talk_backend.domain.identity import Did, Handle, parse_account
from talk_backend.domain.invites import Invite


@dataclass(frozen=True, slots=True)
class CreateInvite:
    users: UserRepository
    invites: InviteRepository
    tx: TransactionManager
    clock: Clock
    policy: InvitePolicy

    async def execute(
        self, inviter_id: uuid.UUID, invitee: str, expires_at: datetime | None = None
    ) -> Invite:
        """Refuses unknown or inactive inviters, members, duplicates and quota overruns."""
        target = parse_account(invitee)
        if not isinstance(target, Did) and target.is_invalid_marker:
            raise InvalidInvitee("handle.invalid names nobody; invite by DID instead")
        now = self.clock.now()
        if expires_at is None and self.policy.default_ttl is not None:
            expires_at = now + self.policy.default_ttl
        async with self.tx:
            # The row lock makes the quota check and the insert atomic per inviter.
            inviter = await self.users.lock(inviter_id)
            if inviter is None:
                raise UserNotFound(f"inviter {inviter_id} does not exist")
            if not inviter.is_active:
                raise InviterNotActive("deactivated members cannot invite")
            if isinstance(target, Did) and await self.users.get_by_did(target) is not None:
                raise AlreadyMember(f"{target} is already a member")
            if isinstance(target, Handle) and await self.users.get_by_handle(target) is not None:
                # Such an invite could never be used (a member signs in as themselves),
                # yet it would count against the quota.
                raise AlreadyMember(f"{target} is already a member's handle")
            if await self.invites.has_pending_for(target, now):
                raise InviteAlreadyPending(f"{target} already has a pending invite")
            pending = await self.invites.count_pending(inviter_id, now)
            if pending >= self.policy.max_pending_per_inviter:
                raise InviteQuotaExceeded(
                    f"at most {self.policy.max_pending_per_inviter} pending invites per member"
                )
            invite = Invite.issue(inviter_id, target, now, expires_at)
            await self.invites.add(invite)
            await self.tx.commit()
        return invite
