"""One unit-of-work contract, two implementations: SqlaTransactionManager and the
in-memory InMemoryTransactionManager. Use cases rely on it to leave nothing
half-written, so the fake must undo exactly what the database undoes: in one request
scope, and between two scopes (their own databases on the Sqla side, whose
connections see only each other's commits, as concurrent requests do)."""

import asyncio
from datetime import timedelta

import pytest

from talk_backend.application.ports import (
    Clock,
    InviteRepository,
    TransactionManager,
    UserRepository,
)
from talk_backend.domain.identity import Did
from talk_backend.domain.invites import Invite
from talk_backend.domain.users import User
from tests.factories import ALICE, BOB, CAROL, seed_member


async def _user(env, did: str) -> User:
    return User.register(Did(did), None, (await env.get(Clock)).now(), None)


async def _stored(env, user: User) -> bool:
    """Asked in a fresh request scope: what another request would see."""
    async with env.scope() as request:
        return await (await request.get(UserRepository)).get(user.id) is not None


@pytest.mark.parametrize("commit", [True, False])
async def test_a_commit_lands_and_leaving_without_one_rolls_back(env, commit):
    tx, users = await env.get(TransactionManager), await env.get(UserRepository)
    bob = await _user(env, BOB)
    async with tx:
        await users.add(bob)
        if commit:
            await tx.commit()
    assert (await users.get(bob.id) is not None) == commit
    assert await _stored(env, bob) == commit


@pytest.mark.parametrize(
    ("between", "at_the_end", "landed"),
    [
        # Leaving undoes only what came after the last commit.
        ("commit", None, {BOB}),
        # The unit goes on after a rollback in the block (CompleteSignIn does this).
        ("rollback", "commit", {CAROL}),
    ],
)
async def test_a_block_with_two_steps(env, between, at_the_end, landed):
    tx, users = await env.get(TransactionManager), await env.get(UserRepository)
    bob, carol = await _user(env, BOB), await _user(env, CAROL)
    async with tx:
        await users.add(bob)
        await getattr(tx, between)()
        await users.add(carol)
        if at_the_end:
            await getattr(tx, at_the_end)()
    assert {u.did.value for u in (bob, carol) if await _stored(env, u)} == landed


async def test_an_exception_rolls_back_and_propagates(env):
    """Writes that belong together: a user and an invite, then a failure. Neither stays."""
    alice = await seed_member(env, ALICE)
    tx = await env.get(TransactionManager)
    users, invites = await env.get(UserRepository), await env.get(InviteRepository)
    bob = await _user(env, BOB)
    now = (await env.get(Clock)).now()
    invite = Invite.issue(alice.id, Did(CAROL), now, now + timedelta(days=1))

    with pytest.raises(RuntimeError, match="after both writes"):
        async with tx:
            await users.add(bob)
            await invites.add(invite)
            raise RuntimeError("failed after both writes")

    assert await users.get(bob.id) is None
    assert await invites.get(invite.id) is None
    assert not await _stored(env, bob)
    assert await _stored(env, alice)  # committed before the block: untouched


class TestTwoScopes:
    """Two request scopes at once, A and B, each with its own unit of work."""

    async def test_a_rollback_in_a_keeps_what_b_committed(self, committing_env):
        env = committing_env
        bob, carol = await _user(env, BOB), await _user(env, CAROL)
        async with env.scope() as a, env.scope() as b:
            tx_a, tx_b = await a.get(TransactionManager), await b.get(TransactionManager)
            await (await a.get(UserRepository)).add(bob)
            await (await b.get(UserRepository)).add(carol)
            await tx_b.commit()
            await tx_a.rollback()
        assert not await _stored(env, bob)
        assert await _stored(env, carol)

    async def test_b_does_not_see_what_a_has_not_committed(self, committing_env):
        env = committing_env
        bob = await _user(env, BOB)
        async with env.scope() as a, env.scope() as b:
            users_b = await b.get(UserRepository)
            await (await a.get(UserRepository)).add(bob)
            assert await (await a.get(UserRepository)).get(bob.id) == bob  # A's own write
            assert await users_b.get(bob.id) is None
            assert await users_b.get_by_did(bob.did) is None
            await (await a.get(TransactionManager)).commit()
            assert await users_b.get_by_did(bob.did) == bob  # committed: seen

    async def test_a_commit_in_a_after_bs_commit_keeps_both(self, committing_env):
        env = committing_env
        bob, carol = await _user(env, BOB), await _user(env, CAROL)
        async with env.scope() as a, env.scope() as b:
            await (await a.get(UserRepository)).add(bob)
            await (await b.get(UserRepository)).add(carol)
            await (await b.get(TransactionManager)).commit()
            await (await a.get(TransactionManager)).commit()
        assert await _stored(env, bob)
        assert await _stored(env, carol)


class TestRowLock:
    """users.lock is SELECT ... FOR UPDATE: CreateInvite's quota check and insert are
    atomic per inviter because a second lock on the row waits for the first."""

    async def test_b_waits_for_as_commit_and_then_sees_it(self, committing_env):
        env = committing_env
        alice = await seed_member(env, ALICE)
        now = (await env.get(Clock)).now()
        async with env.scope() as a, env.scope() as b:
            assert await (await a.get(UserRepository)).lock(alice.id) == alice
            await (await a.get(InviteRepository)).add(Invite.issue(alice.id, Did(BOB), now, None))
            b_locks = asyncio.ensure_future((await b.get(UserRepository)).lock(alice.id))
            done, _ = await asyncio.wait({b_locks}, timeout=0.5)
            assert not done, "B took the row lock A holds"
            await (await a.get(TransactionManager)).commit()
            assert await asyncio.wait_for(b_locks, 10) == alice
            assert await (await b.get(InviteRepository)).count_pending(alice.id, now) == 1

    @pytest.mark.parametrize("ends", ["rollback", "scope"])
    async def test_a_rollback_or_the_end_of_as_scope_releases_it(self, committing_env, ends):
        env = committing_env
        alice = await seed_member(env, ALICE)
        async with env.scope() as b:
            async with env.scope() as a:
                assert await (await a.get(UserRepository)).lock(alice.id) == alice
                b_locks = asyncio.ensure_future((await b.get(UserRepository)).lock(alice.id))
                done, _ = await asyncio.wait({b_locks}, timeout=0.5)
                assert not done, "B took the row lock A holds"
                if ends == "rollback":
                    await (await a.get(TransactionManager)).rollback()
                    assert await asyncio.wait_for(b_locks, 10) == alice
            assert await asyncio.wait_for(b_locks, 10) == alice

    async def test_a_scope_may_lock_its_own_row_again(self, committing_env):
        env = committing_env
        alice = await seed_member(env, ALICE)
        users = await env.get(UserRepository)
        assert await users.lock(alice.id) == alice
        assert await asyncio.wait_for(users.lock(alice.id), 10) == alice
