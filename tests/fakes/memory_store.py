"""An in-memory 'database' with commit/rollback, shared by the fake repositories."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from talk_backend.domain.invites import Invite
from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import WebSession


@dataclass
class MemoryStore:
    users: dict[uuid.UUID, User] = field(default_factory=dict)
    invites: dict[uuid.UUID, Invite] = field(default_factory=dict)
    web_sessions: dict[str, WebSession] = field(default_factory=dict)


_Snapshot = tuple[dict[uuid.UUID, User], dict[uuid.UUID, Invite], dict[str, WebSession]]


class InMemoryTransactionManager:
    """Rollback restores the state of the last commit (objects are immutable, so a
    shallow copy of the tables is a full snapshot)."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._snapshot = self._take()
        self.commits = 0
        self.rollbacks = 0

    def _take(self) -> _Snapshot:
        return dict(self._store.users), dict(self._store.invites), dict(self._store.web_sessions)

    async def commit(self) -> None:
        self._snapshot = self._take()
        self.commits += 1

    async def rollback(self) -> None:
        users, invites, web_sessions = self._snapshot
        self._store.users.clear()
        self._store.users.update(users)
        self._store.invites.clear()
        self._store.invites.update(invites)
        self._store.web_sessions.clear()
        self._store.web_sessions.update(web_sessions)
        self.rollbacks += 1
