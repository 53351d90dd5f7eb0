"""In-memory WebSessionRepository and HealthCheck."""

from __future__ import annotations

from talk_backend.domain.sessions import WebSession


class InMemoryWebSessionRepository:
    """Writes land at once (not covered by InMemoryTransactionManager's rollback):
    the session use cases commit right after their single write."""

    def __init__(self) -> None:
        self.sessions: dict[str, WebSession] = {}

    async def add(self, session: WebSession) -> None:
        self.sessions[session.token_hash] = session

    async def get(self, token_hash: str) -> WebSession | None:
        return self.sessions.get(token_hash)

    async def delete(self, token_hash: str) -> None:
        self.sessions.pop(token_hash, None)


class AlwaysHealthy:
    async def database_ok(self) -> bool:
        return True
