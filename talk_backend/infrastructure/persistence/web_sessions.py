"""WebSessionRepository on PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from talk_backend.domain.web_sessions import WebSession
from talk_backend.infrastructure.persistence.tables import web_sessions


@dataclass(frozen=True, slots=True)
class SqlaWebSessionRepository:
    db: AsyncSession

    async def add(self, session: WebSession) -> None:
        # The dataclass's fields are the table's columns.
        await self.db.execute(sa.insert(web_sessions).values(**asdict(session)))

    async def get(self, token_hash: str) -> WebSession | None:
        stmt = sa.select(web_sessions).where(web_sessions.c.token_hash == token_hash)
        row = (await self.db.execute(stmt)).first()
        if row is None:
            return None
        return WebSession(row.token_hash, row.user_id, row.created_at, row.expires_at)

    async def delete(self, token_hash: str) -> None:
        await self.db.execute(
            sa.delete(web_sessions).where(web_sessions.c.token_hash == token_hash)
        )
