"""What the in-memory unit of work does that the shared transaction contract cannot
show with two scopes in one test without a deadlock on PostgreSQL: a DID another scope
committed meanwhile refuses the commit (users.did is UNIQUE), and nothing of that
commit lands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from talk_backend.application.ports import (
    Clock,
    InviteRepository,
    TransactionManager,
    UserRepository,
)
from talk_backend.domain.errors import DuplicateUser
from talk_backend.domain.identity import Did
from talk_backend.domain.invites import Invite
from talk_backend.domain.users import User
from tests.factories import ALICE, BOB
from tests.fakes.memory_store import MemoryStore
from tests.harness import create_env_fixture

env = create_env_fixture()


async def test_a_did_committed_by_another_scope_refuses_the_commit(env):
    now = (await env.get(Clock)).now()
    first, second = (User.register(Did(BOB), None, now, None) for _ in range(2))
    async with env.scope() as a, env.scope() as b:
        await (await a.get(UserRepository)).add(first)
        await (await b.get(UserRepository)).add(second)  # A's row is not visible yet
        invite = Invite.issue(first.id, Did(ALICE), now, now + timedelta(days=1))
        await (await b.get(InviteRepository)).add(invite)
        await (await a.get(TransactionManager)).commit()
        with pytest.raises(DuplicateUser, match="already registered"):
            await (await b.get(TransactionManager)).commit()
    store = await env.get(MemoryStore)
    assert list(store.users.values()) == [first]
    assert store.invites == {}  # the refused commit applied nothing
