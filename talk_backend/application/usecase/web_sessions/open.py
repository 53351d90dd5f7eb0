"""A member who signed in gets a web session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from talk_backend.application.ports import Clock, TransactionManager, WebSessionRepository
from talk_backend.application.web_session_policy import WebSessionPolicy
from talk_backend.domain.web_sessions import WebSession


@dataclass(frozen=True, slots=True)
class OpenWebSession:
    web_sessions: WebSessionRepository
    tx: TransactionManager
    clock: Clock
    policy: WebSessionPolicy

    async def execute(self, user_id: uuid.UUID) -> str:
        """Returns the cookie token; only its hash is kept."""
        session, token = WebSession.open(user_id, self.clock.now(), self.policy.ttl)
        async with self.tx:
            await self.web_sessions.add(session)
            await self.tx.commit()
        return token
