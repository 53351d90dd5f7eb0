"""Creates a member without an invite: how the first member of a deployment exists.

Reached only from the operator CLI, never from HTTP."""

from __future__ import annotations

from dataclasses import dataclass

from talk_backend.application.ports import Clock, TransactionManager, UserRepository
from talk_backend.domain.errors import AlreadyMember
from talk_backend.domain.identity import Did, Handle
from talk_backend.domain.users import User


@dataclass(frozen=True, slots=True)
class RegisterFounder:
    users: UserRepository
    tx: TransactionManager
    clock: Clock

    async def execute(self, did: Did, handle: Handle | None = None) -> User:
        async with self.tx:
            if await self.users.get_by_did(did) is not None:
                raise AlreadyMember(f"{did} is already a member")
            user = User.register(did, handle, self.clock.now(), invited_by=None)
            await self.users.add(user)
            await self.tx.commit()
        return user
