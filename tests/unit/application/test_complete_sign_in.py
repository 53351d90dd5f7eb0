"""CompleteSignIn on in-memory fakes: the rules, without a database."""

from datetime import timedelta

import pytest

from talk_backend.application.errors import SignInRejected
from talk_backend.application.ports import AuthorizationCallback, UserRepository
from talk_backend.application.usecase.auth.complete_sign_in import CompleteSignIn
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.usecase.invites.revoke import RevokeInvite
from talk_backend.domain.errors import AlreadyMember, InviteRequired, SignInDeclined
from talk_backend.domain.identity import Did
from tests.factories import ALICE, BOB, seed_member
from tests.fakes.bluesky import FakeBlueskyGrantRevocation, FakeBlueskySignIn
from tests.fakes.clock import FakeClock
from tests.fakes.memory_store import MemoryStore
from tests.harness import create_env_fixture

env = create_env_fixture()


async def _invite(env, invitee, **kwargs):
    inviter = await seed_member(env, ALICE, "alice.test")
    return inviter, await (await env.get(CreateInvite)).execute(inviter.id, invitee, **kwargs)


async def test_invitee_becomes_member(env):
    bluesky = await env.get(FakeBlueskySignIn)
    inviter, invite = await _invite(env, BOB)
    result = await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB, "bob.test"))
    assert result.created
    assert result.user.invited_by == inviter.id
    assert str(result.user.handle) == "bob.test"
    store = await env.get(MemoryStore)
    assert store.invites[invite.id].accepted_by == result.user.id


async def test_member_signs_in_without_writes(env):
    bluesky = await env.get(FakeBlueskySignIn)
    member = await seed_member(env, BOB)
    store = await env.get(MemoryStore)
    before = (dict(store.users), dict(store.invites))
    result = await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))
    assert (result.user.id, result.created) == (member.id, False)
    assert (store.users, store.invites) == before


async def test_stranger_is_refused(env):
    bluesky = await env.get(FakeBlueskySignIn)
    with pytest.raises(InviteRequired, match="no valid invite"):
        await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))
    assert await (await env.get(UserRepository)).get_by_did(Did(BOB)) is None


async def test_expired_invite_is_refused(env):
    clock = await env.get(FakeClock)
    bluesky = await env.get(FakeBlueskySignIn)
    await _invite(env, BOB, expires_at=clock.now() + timedelta(hours=1))
    clock.advance(timedelta(hours=1))
    with pytest.raises(InviteRequired):
        await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))


async def test_revoked_invite_is_refused(env):
    bluesky = await env.get(FakeBlueskySignIn)
    inviter, invite = await _invite(env, BOB)
    await (await env.get(RevokeInvite)).execute(inviter.id, invite.id)
    with pytest.raises(InviteRequired):
        await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))


async def test_handle_invite_needs_verified_handle(env):
    bluesky = await env.get(FakeBlueskySignIn)
    await _invite(env, "bob.test")
    sign_in = await env.get(CompleteSignIn)
    with pytest.raises(InviteRequired):
        await sign_in.execute(await bluesky.authorize(BOB, "bob.test", handle_verified=False))
    result = await sign_in.execute(await bluesky.authorize(BOB, "bob.test"))
    assert result.created


async def test_refused_or_replayed_sign_in_writes_nothing(env):
    bluesky = await env.get(FakeBlueskySignIn)
    await _invite(env, BOB)
    sign_in = await env.get(CompleteSignIn)
    with pytest.raises(SignInDeclined, match="refused"):
        await sign_in.execute(await bluesky.refuse(BOB))
    callback = await bluesky.authorize(BOB)
    await sign_in.execute(callback)
    with pytest.raises(SignInRejected, match="already used"):
        await sign_in.execute(callback)
    forged = AuthorizationCallback("made-up", "code", "x", "binding")
    with pytest.raises(SignInRejected):
        await sign_in.execute(forged)


async def test_bluesky_grant_is_kept_for_members_only(env):
    """Tokens of a refused person are never stored; a member's are, with the sign-in."""
    bluesky = await env.get(FakeBlueskySignIn)
    grants = (await env.get(MemoryStore)).grants  # the committed ones
    with pytest.raises(InviteRequired):
        await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))
    assert grants == {}

    await _invite(env, BOB)
    await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))
    await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(ALICE))
    assert list(grants) == [BOB, ALICE]


async def test_inviting_a_members_handle_is_refused(env):
    inviter = await seed_member(env, ALICE, "alice.test")
    await seed_member(env, BOB, "bob.test")
    with pytest.raises(AlreadyMember, match="already a member"):
        await (await env.get(CreateInvite)).execute(inviter.id, "@BOB.test")
    store = await env.get(MemoryStore)
    assert store.invites == {}


async def test_a_refused_strangers_fresh_tokens_are_revoked_at_bluesky(env):
    bluesky = await env.get(FakeBlueskySignIn)
    revocation = await env.get(FakeBlueskyGrantRevocation)
    with pytest.raises(InviteRequired):
        await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))
    assert [grant.did for grant in revocation.revoked] == [BOB]
    assert (await env.get(MemoryStore)).grants == {}


async def test_a_members_earlier_grant_is_revoked_when_a_new_one_replaces_it(env):
    bluesky = await env.get(FakeBlueskySignIn)
    revocation = await env.get(FakeBlueskyGrantRevocation)
    grants = (await env.get(MemoryStore)).grants
    await seed_member(env, BOB)
    sign_in = await env.get(CompleteSignIn)

    await sign_in.execute(await bluesky.authorize(BOB))
    assert revocation.revoked == []  # a first sign-in replaces nothing
    first = grants[BOB]
    await sign_in.execute(await bluesky.authorize(BOB))

    assert revocation.revoked == [first]
    assert grants[BOB].refresh_token != first.refresh_token


async def test_a_declined_sign_in_has_no_tokens_to_revoke(env):
    bluesky = await env.get(FakeBlueskySignIn)
    with pytest.raises(SignInDeclined):
        await (await env.get(CompleteSignIn)).execute(await bluesky.refuse(BOB))
    assert (await env.get(FakeBlueskyGrantRevocation)).revoked == []
