"""One unit-of-work contract, two implementations: SqlaTransactionManager and the
in-memory InMemoryTransactionManager. Use cases rely on it to leave nothing
half-written, so the fake must undo exactly what the database undoes."""

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
from tests.harness import create_env_fixture

fake_env = create_env_fixture()
sqla_env = create_env_fixture(unmock={"persistence"})


@pytest.fixture(params=["fake_env", "sqla_env"])
def env(request):
    return request.getfixturevalue(request.param)


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
        # The unit goes on after a rollback in the block (Login does this).
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
