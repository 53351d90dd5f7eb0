"""WebSessionRepository on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from talk_backend.domain.web_sessions import WebSession
from talk_backend.infrastructure.persistence.tables import web_sessions


class SqlaWebSessionRepository:
    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def add(self, session: WebSession) -> None:
        await self._db.execute(
            sa.insert(web_sessions).values(
                token_hash=session.token_hash,
                user_id=session.user_id,
                created_at=session.created_at,
                expires_at=session.expires_at,
            )
        )

    async def get(self, token_hash: str) -> WebSession | None:
        stmt = sa.select(web_sessions).where(web_sessions.c.token_hash == token_hash)
        row = (await self._db.execute(stmt)).first()
        if row is None:
            return None
        return WebSession(row.token_hash, row.user_id, row.created_at, row.expires_at)

    async def delete(self, token_hash: str) -> None:
        await self._db.execute(
            sa.delete(web_sessions).where(web_sessions.c.token_hash == token_hash)
        )
