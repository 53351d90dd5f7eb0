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


class ListInvites:
    def __init__(self, invites: InviteRepository, clock: Clock) -> None:
        self._invites = invites
        self._clock = clock

    async def execute(self, inviter_id: uuid.UUID) -> list[InviteSummary]:
        now = self._clock.now()
        return [
            InviteSummary(invite, invite.status_at(now))
            for invite in await self._invites.list_by_inviter(inviter_id)
        ]
