"""The OAuth client's server-side state on PostgreSQL.

These stores run their own short transactions (not the request's unit of work): a
state must stay consumed and tokens stay saved even when the sign-in that used
them is later refused (no invite) and rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talk_backend.application.ports import Clock
from talk_backend.infrastructure.bluesky.state import OAuthTokens, PendingAuthorization, Save
from talk_backend.infrastructure.persistence.tables import oauth_auth_requests, oauth_sessions


class SqlaAuthRequestStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def add(self, request: PendingAuthorization) -> None:
        async with self._sessions() as session, session.begin():
            # Abandoned sign-ins would pile up; each new one sweeps the expired.
            await session.execute(
                sa.delete(oauth_auth_requests).where(
                    oauth_auth_requests.c.expires_at < self._clock.now()
                )
            )
            await session.execute(sa.insert(oauth_auth_requests).values(**asdict(request)))

    async def take(self, state: str) -> PendingAuthorization | None:
        stmt = (
            sa.delete(oauth_auth_requests)
            .where(oauth_auth_requests.c.state == state)
            .returning(*oauth_auth_requests.c)
        )
        async with self._sessions() as session, session.begin():
            row = (await session.execute(stmt)).first()
        return PendingAuthorization(**row._asdict()) if row else None


class SqlaOAuthSessionStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def save(self, tokens: OAuthTokens) -> None:
        async with self._sessions() as session, session.begin():
            await _upsert(session, tokens)

    @asynccontextmanager
    async def refreshing(self, did: str) -> AsyncIterator[tuple[OAuthTokens | None, Save]]:
        async with self._sessions() as session, session.begin():
            stmt = sa.select(oauth_sessions).where(oauth_sessions.c.did == did).with_for_update()
            row = (await session.execute(stmt)).first()

            async def save(tokens: OAuthTokens) -> None:
                await _upsert(session, tokens)

            yield (OAuthTokens(**row._asdict()) if row else None), save


async def _upsert(session: AsyncSession, tokens: OAuthTokens) -> None:
    values: dict[str, Any] = asdict(tokens)
    stmt = insert(oauth_sessions).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[oauth_sessions.c.did],
        set_={k: stmt.excluded[k] for k in values if k != "did"},
    )
    await session.execute(stmt)
