"""An in-memory 'database': committed tables, and per request scope a session that
keeps a journal of its own writes until it commits, as PostgreSQL keeps a
transaction's rows to itself (READ COMMITTED).

A session reads its own journal first, then the committed tables: it sees what other
scopes committed, never what they have not. Commit applies the journal (and only
it); rollback drops it. So a rollback in one scope cannot undo another's commit.

A user row can be locked as SELECT ... FOR UPDATE locks it: another session's lock
waits until the holder commits, rolls back or closes (its request scope ends)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from talk_backend.application.oauth_state import OAuthTokens, PendingAuthorization
from talk_backend.application.ports import TransactionManager
from talk_backend.domain.errors import DuplicateUser
from talk_backend.domain.invites import Invite
from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import WebSession

K = TypeVar("K")
V = TypeVar("V")


@dataclass
class MemoryStore:
    """The committed rows, one dict per table. A test that writes here directly writes
    committed data (as a fixture committing its rows would)."""

    users: dict[uuid.UUID, User] = field(default_factory=dict)
    invites: dict[uuid.UUID, Invite] = field(default_factory=dict)
    web_sessions: dict[str, WebSession] = field(default_factory=dict)
    grants: dict[str, OAuthTokens] = field(default_factory=dict)  # bluesky_grants, by DID
    auth_requests: dict[str, PendingAuthorization] = field(default_factory=dict)
    user_locks: dict[uuid.UUID, asyncio.Lock] = field(default_factory=dict)


_DELETED: Any = object()  # a journal entry for a row this session deleted


class _Table(MutableMapping[K, V], Generic[K, V]):
    """One table as a session sees it: its journal over the committed rows."""

    def __init__(self, committed: dict[K, V]) -> None:
        self.committed = committed
        self.journal: dict[K, V] = {}

    def __getitem__(self, key: K) -> V:
        value = self.journal.get(key, self.committed.get(key, _DELETED))
        if value is _DELETED:
            raise KeyError(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self.journal[key] = value

    def __delitem__(self, key: K) -> None:
        self[key]
        self.journal[key] = _DELETED

    def __iter__(self) -> Iterator[K]:
        for key in {**self.committed, **self.journal}:
            if key in self:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def apply(self) -> None:
        for key, value in self.journal.items():
            if value is _DELETED:
                self.committed.pop(key, None)
            else:
                self.committed[key] = value
        self.journal.clear()


class MemorySession:
    """A request scope's unit of work on the store, as the request's AsyncSession is on
    PostgreSQL: the in-memory repositories of one scope share it."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._held: dict[uuid.UUID, asyncio.Lock] = {}  # row locks, until the transaction ends
        self.users: _Table[uuid.UUID, User] = _Table(store.users)
        self.invites: _Table[uuid.UUID, Invite] = _Table(store.invites)
        self.web_sessions: _Table[str, WebSession] = _Table(store.web_sessions)
        self.grants: _Table[str, OAuthTokens] = _Table(store.grants)
        self._tables = (self.users, self.invites, self.web_sessions, self.grants)

    async def lock_user(self, user_id: uuid.UUID) -> None:
        """Waits for the row lock; a session holding it already takes it again, as a
        transaction may lock its own row twice. A missing row locks nothing."""
        if user_id in self._held or user_id not in self.users:
            return
        lock = self._store.user_locks.setdefault(user_id, asyncio.Lock())
        await lock.acquire()
        self._held[user_id] = lock

    def _release(self) -> None:
        for lock in self._held.values():
            lock.release()
        self._held.clear()

    def commit(self) -> None:
        # users.did is UNIQUE: a DID another scope committed meanwhile refuses this
        # commit, as the database refuses the second INSERT. Nothing is applied then.
        for user in self.users.journal.values():
            if user is not _DELETED and any(
                other.did == user.did and other.id != user.id
                for other in self.users.committed.values()
            ):
                self.rollback()
                raise DuplicateUser(f"{user.did} is already registered")
        for table in self._tables:
            table.apply()
        self._release()

    def rollback(self) -> None:
        for table in self._tables:
            table.journal.clear()
        self._release()


class InMemoryTransactionManager(TransactionManager):
    """Commits or drops the request scope's journal (MemorySession)."""

    def __init__(self, db: MemorySession) -> None:
        self._db = db

    async def commit(self) -> None:
        self._db.commit()

    async def rollback(self) -> None:
        self._db.rollback()
