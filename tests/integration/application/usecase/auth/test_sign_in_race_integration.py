"""Concurrent first sign-ins against one single-use invite, on a fresh database whose
connections see each other's commits (no shared outer transaction)."""

import asyncio

from talk_backend.application.usecase.auth.complete_sign_in import CompleteSignIn, SignInResult
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.domain.errors import InviteRequired
from tests.factories import ALICE, BOB, CAROL, seed_member
from tests.fakes.bluesky import FakeBlueskySignIn
from tests.harness import create_env_fixture

race_env = create_env_fixture(unmock={"persistence"}, isolation="database")

CONCURRENT = 20


async def _sign_in(env, did: str) -> SignInResult:
    bluesky = await env.get(FakeBlueskySignIn)
    callback = await bluesky.authorize(did, "bob.test")
    async with env.scope() as request:  # its own session, its own connection
        return await (await request.get(CompleteSignIn)).execute(callback)


async def test_twenty_sign_ins_of_one_invitee_create_one_user(race_env):
    inviter = await seed_member(race_env, ALICE)
    await (await race_env.get(CreateInvite)).execute(inviter.id, BOB)

    results = await asyncio.gather(*(_sign_in(race_env, BOB) for _ in range(CONCURRENT)))

    assert sum(r.created for r in results) == 1
    assert len({r.user.id for r in results}) == 1
    rows = await race_env.fetch("SELECT count(*) AS n FROM users WHERE did = :d", d=BOB)
    assert rows[0].n == 1
    accepted = await race_env.fetch("SELECT accepted_by FROM invites WHERE status = 'accepted'")
    assert [r.accepted_by for r in accepted] == [results[0].user.id]


async def test_one_handle_invite_raced_by_two_accounts_admits_one(race_env):
    """Two different DIDs both verified for the invited handle (a handle that moved):
    the single-use invite admits exactly one of them."""
    inviter = await seed_member(race_env, ALICE)
    await (await race_env.get(CreateInvite)).execute(inviter.id, "bob.test")

    outcomes = await asyncio.gather(
        *(_sign_in(race_env, did) for did in [BOB, CAROL] * (CONCURRENT // 2)),
        return_exceptions=True,
    )

    created = [o for o in outcomes if isinstance(o, SignInResult) and o.created]
    refused = [o for o in outcomes if isinstance(o, InviteRequired)]
    others = [o for o in outcomes if not isinstance(o, (SignInResult, InviteRequired))]
    assert others == []
    assert len(created) == 1
    assert len(refused) == CONCURRENT // 2  # every sign-in of the losing DID
    rows = await race_env.fetch(
        "SELECT count(*) AS n FROM users WHERE did IN (:b, :c)", b=BOB, c=CAROL
    )
    assert rows[0].n == 1
