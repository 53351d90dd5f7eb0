"""What a test of the two recipes holds: the use cases wired by hand on one
AsyncSession, the fake Bluesky, and SQL on the test's connection. It offers the calls
the generated test bodies make (get, fetch), so the bodies are the same as
the harness's, with the same use-case classes and the same statements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from talk_backend.application.invite_policy import InvitePolicy
from talk_backend.application.usecase.auth.complete_sign_in import CompleteSignIn
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.usecase.users.register_founder import RegisterFounder
from talk_backend.infrastructure.persistence.invites import SqlaInviteRepository
from talk_backend.infrastructure.persistence.oauth_state import SqlaBlueskyGrantStore
from talk_backend.infrastructure.persistence.transaction import SqlaTransactionManager
from talk_backend.infrastructure.persistence.users import SqlaUserRepository
from tests.fakes.bluesky import FakeBlueskyGrantRevocation, FakeBlueskySignIn, FakeTokenIssuer
from tests.fakes.clock import FakeClock

T = TypeVar("T")
# The application's defaults (Settings.invites): the same policy the harness's container builds.
POLICY = InvitePolicy(max_pending_per_inviter=10, default_ttl=timedelta(days=30))


class RecipeEnv:
    def __init__(self, session: AsyncSession, sql: AsyncConnection | AsyncEngine) -> None:
        users, invites = SqlaUserRepository(session), SqlaInviteRepository(session)
        tx, clock = SqlaTransactionManager(session), FakeClock()
        # The grant goes to bluesky_grants with the sign-in, as the harness's container does.
        tokens = FakeTokenIssuer(clock)
        self.bluesky = FakeBlueskySignIn(tokens)
        grants, revocation = SqlaBlueskyGrantStore(session), FakeBlueskyGrantRevocation(tokens)
        self._sql = sql
        self._use_cases: dict[type, Callable[[], object]] = {
            RegisterFounder: lambda: RegisterFounder(users=users, tx=tx, clock=clock),
            CreateInvite: lambda: CreateInvite(
                users=users, invites=invites, tx=tx, clock=clock, policy=POLICY
            ),
            CompleteSignIn: lambda: CompleteSignIn(
                bluesky=self.bluesky,
                users=users,
                invites=invites,
                tx=tx,
                clock=clock,
                grants=grants,
                revocation=revocation,
            ),
            FakeBlueskySignIn: lambda: self.bluesky,
        }

    async def get(self, use_case: type[T]) -> T:
        made = self._use_cases[use_case]()
        assert isinstance(made, use_case)
        return made

    async def fetch(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        if isinstance(self._sql, AsyncEngine):
            async with self._sql.connect() as conn:
                return list((await conn.execute(sa.text(sql), params)).all())
        return list((await self._sql.execute(sa.text(sql), params)).all())
