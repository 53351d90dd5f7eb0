"""The OAuth client's server-side state on PostgreSQL.

The authorization-request store runs its own short transactions (not the request's
unit of work): a state must stay consumed even when the sign-in that used it is
later refused (no invite) and rolled back. A sign-in's tokens are the opposite: they
are written in the sign-in's own transaction (SqlaBlueskyGrantStore), members only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talk_backend.application.oauth_state import OAuthTokens, PendingAuthorization, Save
from talk_backend.application.ports import Clock, CompletedSignIn
from talk_backend.domain.errors import TooManyPendingSignIns
from talk_backend.domain.identity import Did
from talk_backend.infrastructure.persistence.tables import bluesky_grants, oauth_auth_requests

DEFAULT_MAX_PENDING = 10_000


class SqlaAuthRequestStore:
    def __init__(
        self,
        db_sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self._db_sessions = db_sessions
        self._clock = clock
        self._max_pending = max_pending

    async def add(self, request: PendingAuthorization) -> None:
        async with self._db_sessions() as db, db.begin():
            # Abandoned sign-ins would pile up; each new one sweeps the expired.
            await db.execute(
                sa.delete(oauth_auth_requests).where(
                    oauth_auth_requests.c.expires_at < self._clock.now()
                )
            )
            # Concurrent adds may each see room: the cap holds to within their number.
            count = sa.select(sa.func.count()).select_from(oauth_auth_requests)
            if (await db.execute(count)).scalar_one() >= self._max_pending:
                raise TooManyPendingSignIns("too many sign-ins are under way; try again later")
            await db.execute(sa.insert(oauth_auth_requests).values(**asdict(request)))

    async def take(self, state: str, browser_binding_hash: str) -> PendingAuthorization | None:
        stmt = (
            sa.delete(oauth_auth_requests)
            .where(
                oauth_auth_requests.c.state == state,
                oauth_auth_requests.c.browser_binding_hash == browser_binding_hash,
            )
            .returning(*oauth_auth_requests.c)
        )
        async with self._db_sessions() as db, db.begin():
            row = (await db.execute(stmt)).first()
        return PendingAuthorization(**row._asdict()) if row else None

    async def is_pending(self, state: str) -> bool:
        stmt = sa.select(sa.literal(1)).where(oauth_auth_requests.c.state == state)
        async with self._db_sessions() as db:
            return (await db.execute(stmt)).first() is not None


class SqlaOAuthGrantStore:
    def __init__(self, db_sessions: async_sessionmaker[AsyncSession]) -> None:
        self._db_sessions = db_sessions

    async def save(self, tokens: OAuthTokens) -> None:
        async with self._db_sessions() as db, db.begin():
            await _upsert(db, tokens)

    @asynccontextmanager
    async def refreshing(self, did: str) -> AsyncIterator[tuple[OAuthTokens | None, Save]]:
        async with self._db_sessions() as db, db.begin():
            stmt = sa.select(bluesky_grants).where(bluesky_grants.c.did == did).with_for_update()
            row = (await db.execute(stmt)).first()

            async def save(tokens: OAuthTokens) -> None:
                await _upsert(db, tokens)

            yield (OAuthTokens(**row._asdict()) if row else None), save


class SqlaBlueskyGrantStore:
    """Writes a member's tokens with the request's db session: one commit with the sign-in."""

    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def keep(self, signed_in: CompletedSignIn) -> OAuthTokens | None:
        if not isinstance(signed_in.grant, OAuthTokens):
            raise TypeError("the grant did not come from the atproto sign-in")
        # Locked until the sign-in commits: a concurrent sign-in (or refresh) of the same
        # account waits, then sees this grant as the one it replaces.
        stmt = (
            sa.select(bluesky_grants)
            .where(bluesky_grants.c.did == signed_in.grant.did)
            .with_for_update()
        )
        row = (await self._db.execute(stmt)).first()
        await _upsert(self._db, signed_in.grant)
        return OAuthTokens(**row._asdict()) if row else None

    async def take(self, did: Did) -> OAuthTokens | None:
        stmt = (
            sa.delete(bluesky_grants)
            .where(bluesky_grants.c.did == did.value)
            .returning(*bluesky_grants.c)
        )
        row = (await self._db.execute(stmt)).first()
        return OAuthTokens(**row._asdict()) if row else None


async def _upsert(db: AsyncSession, tokens: OAuthTokens) -> None:
    values: dict[str, Any] = asdict(tokens)
    stmt = insert(bluesky_grants).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[bluesky_grants.c.did],
        set_={k: stmt.excluded[k] for k in values if k != "did"},
    )
    await db.execute(stmt)
