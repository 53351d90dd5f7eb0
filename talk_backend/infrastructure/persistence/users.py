"""UserRepository on PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from talk_backend.domain.errors import DuplicateUser
from talk_backend.domain.identity import Did, Handle
from talk_backend.domain.users import User
from talk_backend.infrastructure.persistence.tables import users


def _to_user(row: sa.Row[Any]) -> User:
    return User(
        id=row.id,
        did=Did(row.did),
        handle=Handle(row.handle) if row.handle is not None else None,
        created_at=row.created_at,
        invited_by=row.invited_by,
        is_active=row.is_active,
    )


class SqlaUserRepository:
    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def add(self, user: User) -> None:
        stmt = sa.insert(users).values(
            id=user.id,
            did=user.did.value,
            handle=user.handle.value if user.handle else None,
            created_at=user.created_at,
            invited_by=user.invited_by,
            is_active=user.is_active,
        )
        try:
            # A savepoint keeps the caller's transaction usable after a duplicate.
            async with self._db.begin_nested():
                await self._db.execute(stmt)
        except IntegrityError as exc:
            if "uq_users_did" in str(exc.orig):
                raise DuplicateUser(f"{user.did} is already registered") from None
            raise

    async def get(self, user_id: uuid.UUID) -> User | None:
        row = (await self._db.execute(sa.select(users).where(users.c.id == user_id))).first()
        return _to_user(row) if row else None

    async def get_by_did(self, did: Did) -> User | None:
        stmt = sa.select(users).where(users.c.did == did.value)
        row = (await self._db.execute(stmt)).first()
        return _to_user(row) if row else None

    async def get_by_handle(self, handle: Handle) -> User | None:
        # Handles are stored normalised (lowercase), like Handle.value.
        stmt = sa.select(users).where(users.c.handle == handle.value).limit(1)
        row = (await self._db.execute(stmt)).first()
        return _to_user(row) if row else None

    async def lock(self, user_id: uuid.UUID) -> User | None:
        stmt = sa.select(users).where(users.c.id == user_id).with_for_update()
        row = (await self._db.execute(stmt)).first()
        return _to_user(row) if row else None
