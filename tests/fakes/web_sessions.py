"""In-memory web sessions: the repository and the signed-in member lookup."""

from __future__ import annotations

from dataclasses import dataclass

from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import WebSession
from tests.fakes.memory_store import MemorySession, MemoryStore


@dataclass(frozen=True, slots=True)
class InMemoryWebSessionRepository:
    """Writes go through the unit of work, as SqlaWebSessionRepository's go through the
    request's db session: InMemoryTransactionManager's rollback undoes them."""

    db: MemorySession

    async def add(self, session: WebSession) -> None:
        self.db.web_sessions[session.token_hash] = session

    async def get(self, token_hash: str) -> WebSession | None:
        return self.db.web_sessions.get(token_hash)

    async def delete(self, token_hash: str) -> None:
        self.db.web_sessions.pop(token_hash, None)


@dataclass(frozen=True, slots=True)
class InMemorySignedInMembers:
    """Reads the committed tables, as AsyncpgSignedInMembers reads committed rows on a
    connection of its own."""

    store: MemoryStore

    async def web_session_with_member(self, token_hash: str) -> tuple[WebSession, User] | None:
        session = self.store.web_sessions.get(token_hash)
        user = self.store.users.get(session.user_id) if session else None
        return (session, user) if session and user else None
