"""Signing out ends the session server-side, whatever the browser keeps."""

from __future__ import annotations

from dataclasses import dataclass

from talk_backend.application.ports import TransactionManager, WebSessionRepository
from talk_backend.domain.web_sessions import web_session_token_hash


@dataclass(frozen=True, slots=True)
class CloseWebSession:
    web_sessions: WebSessionRepository
    tx: TransactionManager

    async def execute(self, token: str) -> None:
        async with self.tx:
            await self.web_sessions.delete(web_session_token_hash(token))
            await self.tx.commit()
