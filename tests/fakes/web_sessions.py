"""In-memory web sessions: the repository and the signed-in member lookup."""

from __future__ import annotations

from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import WebSession
from tests.fakes.memory_store import MemoryStore


class InMemoryWebSessionRepository:
    """Writes go through the unit of work, as SqlaWebSessionRepository's go through the
    request's db session: InMemoryTransactionManager's rollback undoes them."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, session: WebSession) -> None:
        self._store.web_sessions[session.token_hash] = session

    async def get(self, token_hash: str) -> WebSession | None:
        return self._store.web_sessions.get(token_hash)

    async def delete(self, token_hash: str) -> None:
        self._store.web_sessions.pop(token_hash, None)


class InMemorySignedInMembers:
    """Reads the store as SqlaSignedInMembers reads committed rows; the store keeps no
    separate committed view, and no request writes a session before asking this."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def web_session_with_member(self, token_hash: str) -> tuple[WebSession, User] | None:
        session = self._store.web_sessions.get(token_hash)
        user = self._store.users.get(session.user_id) if session else None
        return (session, user) if session and user else None
