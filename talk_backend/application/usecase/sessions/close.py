"""Signing out ends the session server-side, whatever the browser keeps."""

from __future__ import annotations

from talk_backend.application.ports import TransactionManager, WebSessionRepository
from talk_backend.domain.sessions import session_token_hash


class CloseSession:
    def __init__(self, sessions: WebSessionRepository, tx: TransactionManager) -> None:
        self._sessions = sessions
        self._tx = tx

    async def execute(self, token: str) -> None:
        try:
            await self._sessions.delete(session_token_hash(token))
            await self._tx.commit()
        except BaseException:
            await self._tx.rollback()
            raise
