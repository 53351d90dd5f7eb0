"""InviteRepository on PostgreSQL. State changes are conditional UPDATEs so the
database, not the application, decides races."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from talk_backend.domain.identity import Did, Handle, VerifiedIdentity
from talk_backend.domain.invites import Invite, Invitee, InviteStatus
from talk_backend.infrastructure.persistence.tables import invites


def _to_invite(row: sa.Row[Any]) -> Invite:
    invitee: Invitee = (
        Did(row.invitee_did) if row.invitee_did is not None else Handle(row.invitee_handle)
    )
    return Invite(
        id=row.id,
        inviter_id=row.inviter_id,
        invitee=invitee,
        created_at=row.created_at,
        expires_at=row.expires_at,
        stored_status=InviteStatus(row.status),
        accepted_by=row.accepted_by,
        accepted_at=row.accepted_at,
        revoked_at=row.revoked_at,
    )


def _usable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        invites.c.status == InviteStatus.PENDING.value,
        sa.or_(invites.c.expires_at.is_(None), invites.c.expires_at > now),
    )


def _naming(invitee: Invitee) -> sa.ColumnElement[bool]:
    if isinstance(invitee, Did):
        return invites.c.invitee_did == invitee.value
    return invites.c.invitee_handle == invitee.value


class SqlaInviteRepository:
    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def add(self, invite: Invite) -> None:
        await self._db.execute(
            sa.insert(invites).values(
                id=invite.id,
                inviter_id=invite.inviter_id,
                invitee_did=invite.invitee.value if isinstance(invite.invitee, Did) else None,
                invitee_handle=invite.invitee.value if isinstance(invite.invitee, Handle) else None,
                status=invite.stored_status.value,
                created_at=invite.created_at,
                expires_at=invite.expires_at,
                accepted_by=invite.accepted_by,
                accepted_at=invite.accepted_at,
                revoked_at=invite.revoked_at,
            )
        )

    async def get(self, invite_id: uuid.UUID) -> Invite | None:
        stmt = sa.select(invites).where(invites.c.id == invite_id)
        row = (await self._db.execute(stmt)).first()
        return _to_invite(row) if row else None

    async def list_by_inviter(self, inviter_id: uuid.UUID) -> list[Invite]:
        stmt = (
            sa.select(invites)
            .where(invites.c.inviter_id == inviter_id)
            .order_by(invites.c.created_at.desc(), invites.c.id)
        )
        return [_to_invite(row) for row in await self._db.execute(stmt)]

    async def count_pending(self, inviter_id: uuid.UUID, now: datetime) -> int:
        stmt = (
            sa.select(sa.func.count())
            .select_from(invites)
            .where(invites.c.inviter_id == inviter_id, _usable(now))
        )
        return int((await self._db.execute(stmt)).scalar_one())

    async def has_pending_for(self, invitee: Invitee, now: datetime) -> bool:
        stmt = sa.select(sa.exists().where(_naming(invitee), _usable(now)))
        return bool((await self._db.execute(stmt)).scalar_one())

    async def find_usable_for(self, identity: VerifiedIdentity, now: datetime) -> list[Invite]:
        naming = _naming(identity.did)
        if identity.verified_handle is not None:
            naming = sa.or_(naming, _naming(identity.verified_handle))
        stmt = (
            sa.select(invites)
            .where(naming, _usable(now))
            .order_by(invites.c.created_at, invites.c.id)
        )
        return [_to_invite(row) for row in await self._db.execute(stmt)]

    async def mark_accepted(self, invite_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> bool:
        stmt = (
            sa.update(invites)
            .where(invites.c.id == invite_id, _usable(now))
            .values(status=InviteStatus.ACCEPTED.value, accepted_by=user_id, accepted_at=now)
        )
        result = await self._db.execute(stmt)
        return _rowcount(result) == 1

    async def mark_revoked(self, invite_id: uuid.UUID, now: datetime) -> bool:
        stmt = (
            sa.update(invites)
            .where(invites.c.id == invite_id, invites.c.status == InviteStatus.PENDING.value)
            .values(status=InviteStatus.REVOKED.value, revoked_at=now)
        )
        return _rowcount(await self._db.execute(stmt)) == 1


def _rowcount(result: Any) -> int:
    return int(result.rowcount)
