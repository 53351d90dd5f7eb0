"""SignedInMembers on PostgreSQL: the session and its user in one statement."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from talk_backend.domain.sessions import WebSession
from talk_backend.domain.users import User
from talk_backend.infrastructure.persistence.tables import users, web_sessions
from talk_backend.infrastructure.persistence.users import user_from_row

# Built once: constructing a SELECT costs more CPU than its round trip here; executed
# with {"token_hash": ...}.
SESSION_WITH_MEMBER = (
    sa.select(
        users,
        web_sessions.c.token_hash,
        web_sessions.c.created_at.label("session_created_at"),
        web_sessions.c.expires_at,
    )
    .join(web_sessions, web_sessions.c.user_id == users.c.id)
    .where(web_sessions.c.token_hash == sa.bindparam("token_hash"))
)


def session_and_user(row: sa.Row[Any]) -> tuple[WebSession, User]:
    session = WebSession(row.token_hash, row.id, row.session_created_at, row.expires_at)
    return session, user_from_row(row)


class SqlaSignedInMembers:
    """A pooled connection in autocommit mode: the one SELECT is the only statement
    sent (a single statement reads one consistent snapshot)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def session_with_member(self, token_hash: str) -> tuple[WebSession, User] | None:
        async with self._engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            result = await autocommit.execute(SESSION_WITH_MEMBER, {"token_hash": token_hash})
            row = result.first()
        return session_and_user(row) if row else None
