"""Creating, revoking and listing invites on in-memory fakes."""

import uuid
from datetime import timedelta

import pytest

from talk_backend.application.invite_policy import InvitePolicy
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.usecase.invites.list import ListInvites
from talk_backend.application.usecase.invites.revoke import RevokeInvite
from talk_backend.domain.errors import (
    AlreadyMember,
    InvalidDid,
    InvalidHandle,
    InvalidInvitee,
    InviteAlreadyPending,
    InviteNotFound,
    InviteNotPending,
    InviteQuotaExceeded,
    NotInviteOwner,
    UserNotFound,
)
from talk_backend.domain.identity import Did, Handle
from talk_backend.domain.invites import InviteStatus
from tests.factories import ALICE, BOB, CAROL, DAVE, seed_member
from tests.fakes.clock import FakeClock
from tests.harness import create_env_fixture

env = create_env_fixture()


async def test_invite_by_handle_or_did_with_default_expiry(env):
    clock = await env.get(FakeClock)
    alice = await seed_member(env, ALICE)
    create = await env.get(CreateInvite)
    by_handle = await create.execute(alice.id, "@Bob.Test")
    by_did = await create.execute(alice.id, CAROL)
    policy = await env.get(InvitePolicy)
    assert by_handle.invitee == Handle("bob.test")
    assert by_did.invitee == Did(CAROL)
    assert by_did.expires_at == clock.now() + policy.default_ttl


@pytest.mark.parametrize(
    ("invitee", "error"),
    [
        ("not a handle", InvalidHandle),
        ("did:key:z6Mk", InvalidDid),
        ("handle.invalid", InvalidInvitee),
    ],
)
async def test_malformed_invitee_is_rejected(env, invitee, error):
    alice = await seed_member(env, ALICE)
    with pytest.raises(error):
        await (await env.get(CreateInvite)).execute(alice.id, invitee)


async def test_refuses_unknown_inviter_members_and_duplicates(env):
    alice = await seed_member(env, ALICE)
    await seed_member(env, BOB)
    create = await env.get(CreateInvite)
    with pytest.raises(UserNotFound):
        await create.execute(uuid.uuid4(), CAROL)
    with pytest.raises(AlreadyMember):
        await create.execute(alice.id, BOB)
    await create.execute(alice.id, CAROL)
    with pytest.raises(InviteAlreadyPending):
        await create.execute(alice.id, CAROL)


async def test_quota_caps_pending_invites(env):
    alice = await seed_member(env, ALICE)
    create = await env.get(CreateInvite)
    limit = (await env.get(InvitePolicy)).max_pending_per_inviter
    for n in range(limit):
        await create.execute(alice.id, f"friend{n}.test")
    with pytest.raises(InviteQuotaExceeded, match=f"at most {limit}"):
        await create.execute(alice.id, "one-too-many.test")


async def test_revoke_only_own_pending_invites(env):
    alice = await seed_member(env, ALICE)
    bob = await seed_member(env, BOB)
    invite = await (await env.get(CreateInvite)).execute(alice.id, CAROL)
    revoke = await env.get(RevokeInvite)
    with pytest.raises(NotInviteOwner):
        await revoke.execute(bob.id, invite.id)
    with pytest.raises(InviteNotFound):
        await revoke.execute(alice.id, uuid.uuid4())
    assert (await revoke.execute(alice.id, invite.id)).stored_status is InviteStatus.REVOKED
    with pytest.raises(InviteNotPending):
        await revoke.execute(alice.id, invite.id)


async def test_list_shows_current_state_newest_first(env):
    clock = await env.get(FakeClock)
    alice = await seed_member(env, ALICE)
    create = await env.get(CreateInvite)
    first = await create.execute(alice.id, BOB, expires_at=clock.now() + timedelta(hours=1))
    clock.advance(timedelta(minutes=1))
    second = await create.execute(alice.id, CAROL)
    clock.advance(timedelta(minutes=1))
    third = await create.execute(alice.id, DAVE)
    await (await env.get(RevokeInvite)).execute(alice.id, third.id)
    clock.advance(timedelta(hours=1))
    listed = await (await env.get(ListInvites)).execute(alice.id)
    assert [(s.invite.id, s.status) for s in listed] == [
        (third.id, InviteStatus.REVOKED),
        (second.id, InviteStatus.PENDING),
        (first.id, InviteStatus.EXPIRED),
    ]
