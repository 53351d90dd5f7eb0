"""Creates a member without an invite: how the first member of a deployment exists.

Reached only from the operator CLI, never from HTTP."""

from __future__ import annotations

from talk_backend.application.ports import Clock, TransactionManager, UserRepository
from talk_backend.domain.errors import AlreadyMember
from talk_backend.domain.identity import Did, Handle
from talk_backend.domain.users import User


class RegisterFounder:
    def __init__(self, users: UserRepository, tx: TransactionManager, clock: Clock) -> None:
        self._users = users
        self._tx = tx
        self._clock = clock

    async def execute(self, did: Did, handle: Handle | None = None) -> User:
        try:
            if await self._users.get_by_did(did) is not None:
                raise AlreadyMember(f"{did} is already a member")
            user = User.register(did, handle, self._clock.now(), invited_by=None)
            await self._users.add(user)
            await self._tx.commit()
            return user
        except BaseException:
            await self._tx.rollback()
            raise
