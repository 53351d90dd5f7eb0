"""With real persistence and Bluesky faked, a member's grant goes to bluesky_grants
in the sign-in's own transaction: there after the commit, nowhere when the sign-in is
refused or rolled back. Connections of their own (isolation="database"): `fetch`
then sees only what was committed."""

import pytest

from talk_backend.application.ports import (
    BlueskyGrants,
    BlueskyGrantStore,
    BlueskySignIn,
    Clock,
    InviteRepository,
    TransactionManager,
    UserRepository,
)
from talk_backend.application.usecase.auth.complete_sign_in import CompleteSignIn
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.domain.errors import InviteRequired
from talk_backend.domain.identity import Did
from tests.factories import ALICE, BOB, seed_member
from tests.fakes.bluesky import FAKE_ISSUER, FakeBlueskyGrantRevocation, FakeBlueskySignIn
from tests.harness import Env, create_env_fixture

env = create_env_fixture(unmock={"persistence"}, isolation="database")

GRANTS = "SELECT did, issuer, access_token, refresh_token FROM bluesky_grants"


async def test_a_new_members_grant_lands_with_the_commit(env):
    bluesky = await env.get(FakeBlueskySignIn)
    inviter = await seed_member(env, ALICE)
    await (await env.get(CreateInvite)).execute(inviter.id, BOB)

    result = await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))

    assert result.created
    [row] = await env.fetch(GRANTS)
    assert (row.did, row.issuer) == (BOB, FAKE_ISSUER)
    # The grant the status port reads is the row's (one store, PostgreSQL).
    status = await (await env.get(BlueskyGrants)).fresh_status(Did(BOB))
    assert status is not None and status.did == BOB


async def test_a_refused_sign_in_leaves_no_grant(env):
    bluesky = await env.get(FakeBlueskySignIn)
    with pytest.raises(InviteRequired):
        await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))
    assert await env.fetch(GRANTS) == []
    # Its fresh tokens are ended at Bluesky instead.
    assert [g.did for g in (await env.get(FakeBlueskyGrantRevocation)).revoked] == [BOB]


async def test_a_sign_in_rolled_back_after_keeping_the_grant_leaves_none(env):
    """The grant was written in the sign-in's transaction; the commit fails after it."""
    bluesky = await env.get(FakeBlueskySignIn)
    await seed_member(env, BOB)
    sign_in = CompleteSignIn(
        await env.get(BlueskySignIn),
        await env.get(UserRepository),
        await env.get(InviteRepository),
        _FailingCommit(await env.get(TransactionManager)),
        await env.get(Clock),
        await env.get(BlueskyGrantStore),
        await env.get(FakeBlueskyGrantRevocation),
    )

    with pytest.raises(RuntimeError, match="commit failed"):
        await sign_in.execute(await bluesky.authorize(BOB))

    assert await env.fetch(GRANTS) == []


async def test_a_second_sign_in_replaces_the_row(env: Env):
    bluesky = await env.get(FakeBlueskySignIn)
    await seed_member(env, BOB)
    sign_in = await env.get(CompleteSignIn)
    await sign_in.execute(await bluesky.authorize(BOB))
    [first] = await env.fetch(GRANTS)

    await sign_in.execute(await bluesky.authorize(BOB))

    [second] = await env.fetch(GRANTS)
    assert second.refresh_token != first.refresh_token
    revoked = (await env.get(FakeBlueskyGrantRevocation)).revoked
    assert [g.refresh_token for g in revoked] == [first.refresh_token]


class _FailingCommit:
    """The real unit of work, whose commit fails before it reaches the database."""

    def __init__(self, inner: TransactionManager) -> None:
        self._inner = inner

    async def commit(self) -> None:
        raise RuntimeError("commit failed")

    async def rollback(self) -> None:
        await self._inner.rollback()

    async def __aenter__(self) -> "_FailingCommit":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.rollback()
