"""SignedInMembers on PostgreSQL: the session and its user in one statement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from talk_backend.domain.identity import Did, Handle
from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import WebSession
from talk_backend.infrastructure.persistence.tables import users, web_sessions

# Built once, and compiled once per dialect: building and executing a Core statement
# cost more CPU than its round trip on this path, which every signed-in request takes.
WEB_SESSION_WITH_MEMBER = (
    sa.select(
        users,
        web_sessions.c.token_hash,
        web_sessions.c.created_at.label("session_created_at"),
        web_sessions.c.expires_at,
    )
    .join(web_sessions, web_sessions.c.user_id == users.c.id)
    .where(web_sessions.c.token_hash == sa.bindparam("token_hash"))
)


def web_session_and_user(row: Mapping[str, Any]) -> tuple[WebSession, User]:
    session = WebSession(row["token_hash"], row["id"], row["session_created_at"], row["expires_at"])
    handle = row["handle"]
    user = User(
        id=row["id"],
        did=Did(row["did"]),
        handle=Handle(handle) if handle is not None else None,
        created_at=row["created_at"],
        invited_by=row["invited_by"],
        is_active=row["is_active"],
    )
    return session, user


class AsyncpgSignedInMembers:
    """The statement runs on the asyncpg connection under a pooled SQLAlchemy
    connection, in autocommit: one round trip (no BEGIN, no ROLLBACK) and none of
    SQLAlchemy's per-execution work. The pool is the engine's: one pool, one
    disconnect policy (see database.create_engine)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sql = str(WEB_SESSION_WITH_MEMBER.compile(dialect=engine.dialect))

    async def web_session_with_member(self, token_hash: str) -> tuple[WebSession, User] | None:
        async with self._engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            row = await driver.fetchrow(self._sql, token_hash)
        return web_session_and_user(row) if row else None
