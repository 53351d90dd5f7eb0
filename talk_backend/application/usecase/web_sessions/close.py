"""Signing out ends the session server-side, whatever the browser keeps."""

from __future__ import annotations

from talk_backend.application.ports import TransactionManager, WebSessionRepository
from talk_backend.domain.web_sessions import web_session_token_hash


class CloseWebSession:
    def __init__(self, web_sessions: WebSessionRepository, tx: TransactionManager) -> None:
        self._web_sessions = web_sessions
        self._tx = tx

    async def execute(self, token: str) -> None:
        try:
            await self._web_sessions.delete(web_session_token_hash(token))
            await self._tx.commit()
        except BaseException:
            await self._tx.rollback()
            raise
