"""In-memory UserRepository and InviteRepository. The invite rule is the domain's
(Invite.is_usable_at, names, accepted, revoked): nothing here restates it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from talk_backend.domain.errors import DuplicateUser
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity
from talk_backend.domain.invites import Invite, Invitee
from talk_backend.domain.users import User
from tests.fakes.memory_store import MemorySession


@dataclass(frozen=True, slots=True)
class InMemoryUserRepository:
    db: MemorySession

    async def add(self, user: User) -> None:
        if any(u.did == user.did for u in self.db.users.values()):
            raise DuplicateUser(f"{user.did} is already registered")
        self.db.users[user.id] = user

    async def get(self, user_id: uuid.UUID) -> User | None:
        return self.db.users.get(user_id)

    async def get_by_did(self, did: Did) -> User | None:
        return next((u for u in self.db.users.values() if u.did == did), None)

    async def get_by_handle(self, handle: Handle) -> User | None:
        return next((u for u in self.db.users.values() if u.handle == handle), None)

    async def lock(self, user_id: uuid.UUID) -> User | None:
        await self.db.lock_user(user_id)
        return self.db.users.get(user_id)


@dataclass(frozen=True, slots=True)
class InMemoryInviteRepository:
    db: MemorySession

    async def add(self, invite: Invite) -> None:
        self.db.invites[invite.id] = invite

    async def get(self, invite_id: uuid.UUID) -> Invite | None:
        return self.db.invites.get(invite_id)

    async def list_by_inviter(self, inviter_id: uuid.UUID) -> list[Invite]:
        mine = [i for i in self.db.invites.values() if i.inviter_id == inviter_id]
        mine.sort(key=lambda i: i.id)
        return sorted(mine, key=lambda i: i.created_at, reverse=True)

    async def count_pending(self, inviter_id: uuid.UUID, now: datetime) -> int:
        return sum(
            1
            for i in self.db.invites.values()
            if i.inviter_id == inviter_id and i.is_usable_at(now)
        )

    async def has_pending_for(self, invitee: Invitee, now: datetime) -> bool:
        return any(i.invitee == invitee and i.is_usable_at(now) for i in self.db.invites.values())

    async def find_usable_for(self, identity: VerifiedIdentity, now: datetime) -> list[Invite]:
        found = [i for i in self.db.invites.values() if i.is_usable_at(now) and i.names(identity)]
        return sorted(found, key=lambda i: (i.created_at, i.id))

    async def mark_accepted(self, invite_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> bool:
        invite = self.db.invites.get(invite_id)
        if invite is None or not invite.is_usable_at(now):
            return False
        self.db.invites[invite_id] = invite.accepted(user_id, now)
        return True

    async def mark_revoked(self, invite_id: uuid.UUID, now: datetime) -> bool:
        invite = self.db.invites.get(invite_id)
        if invite is None or not invite.is_revocable():
            return False
        self.db.invites[invite_id] = invite.revoked(now)
        return True
