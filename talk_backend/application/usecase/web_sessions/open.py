"""A member who signed in gets a web session."""

from __future__ import annotations

import uuid

from talk_backend.application.ports import Clock, TransactionManager, WebSessionRepository
from talk_backend.application.web_session_policy import WebSessionPolicy
from talk_backend.domain.web_sessions import WebSession


class OpenWebSession:
    def __init__(
        self,
        web_sessions: WebSessionRepository,
        tx: TransactionManager,
        clock: Clock,
        policy: WebSessionPolicy,
    ) -> None:
        self._web_sessions = web_sessions
        self._tx = tx
        self._clock = clock
        self._ttl = policy.ttl

    async def execute(self, user_id: uuid.UUID) -> str:
        """Returns the cookie token; only its hash is kept."""
        session, token = WebSession.open(user_id, self._clock.now(), self._ttl)
        try:
            await self._web_sessions.add(session)
            await self._tx.commit()
        except BaseException:
            await self._tx.rollback()
            raise
        return token
