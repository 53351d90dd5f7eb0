"""A member who signed in gets a web session."""

from __future__ import annotations

import uuid

from talk_backend.application.ports import Clock, TransactionManager, WebSessionRepository
from talk_backend.application.session_policy import SessionPolicy
from talk_backend.domain.sessions import WebSession


class OpenSession:
    def __init__(
        self,
        sessions: WebSessionRepository,
        tx: TransactionManager,
        clock: Clock,
        policy: SessionPolicy,
    ) -> None:
        self._sessions = sessions
        self._tx = tx
        self._clock = clock
        self._ttl = policy.ttl

    async def execute(self, user_id: uuid.UUID) -> str:
        """Returns the cookie token; only its hash is kept."""
        session, token = WebSession.open(user_id, self._clock.now(), self._ttl)
        try:
            await self._sessions.add(session)
            await self._tx.commit()
        except BaseException:
            await self._tx.rollback()
            raise
        return token
