"""A member sees the invites they sent, with each one's current state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from talk_backend.application.ports import Clock, InviteRepository
from talk_backend.domain.invites import Invite, InviteStatus


@dataclass(frozen=True, slots=True)
class InviteSummary:
    invite: Invite
    status: InviteStatus


@dataclass(frozen=True, slots=True)
class ListInvites:
    invites: InviteRepository
    clock: Clock

    async def execute(self, inviter_id: uuid.UUID) -> list[InviteSummary]:
        now = self.clock.now()
        return [
            InviteSummary(invite, invite.status_at(now))
            for invite in await self.invites.list_by_inviter(inviter_id)
        ]
