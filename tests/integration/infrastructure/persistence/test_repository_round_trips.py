"""Repository contract, the parts the first contract file left open: every field of a
user survives the database, lookups by handle, the quota count per inviter, locking a
missing member. Same two implementations: the fakes must answer like PostgreSQL."""

import dataclasses
import uuid
from datetime import timedelta

from talk_backend.application.ports import InviteRepository, UserRepository
from talk_backend.domain.identity import Did, Handle
from talk_backend.domain.invites import Invite, InviteStatus
from talk_backend.domain.users import User
from tests.factories import ALICE, BOB, CAROL, DAVE, seed_member
from tests.fakes.clock import FakeClock


async def test_every_field_of_a_user_round_trips(env):
    clock = await env.get(FakeClock)
    inviter = await seed_member(env, ALICE)
    users = await env.get(UserRepository)
    invited = User.register(Did(BOB), Handle("bob.test"), clock.now(), inviter.id)
    no_handle = dataclasses.replace(
        User.register(Did(CAROL), None, clock.now(), None), is_active=False
    )
    for user in (invited, no_handle):
        await users.add(user)
    for user in (invited, no_handle):
        assert await users.get(user.id) == user
        assert await users.get_by_did(user.did) == user
    assert ((await users.get(invited.id)).invited_by, (await users.get(no_handle.id)).handle) == (
        inviter.id,
        None,
    )
    assert (await users.get(no_handle.id)).is_active is False


async def test_get_by_handle_finds_the_member_with_that_handle_only(env):
    await seed_member(env, ALICE, "alice.test")
    bob = await seed_member(env, BOB, "bob.test")
    await seed_member(env, CAROL)
    users = await env.get(UserRepository)
    assert await users.get_by_handle(Handle("bob.test")) == bob
    assert await users.get_by_handle(Handle("nobody.test")) is None


async def test_lock_of_a_missing_member_is_none(env):
    await seed_member(env, ALICE)
    assert await (await env.get(UserRepository)).lock(uuid.uuid4()) is None


async def test_count_pending_counts_only_that_inviters_usable_invites(env):
    clock = await env.get(FakeClock)
    alice, bob = await seed_member(env, ALICE), await seed_member(env, BOB)
    invites = await env.get(InviteRepository)
    now = clock.now()
    for invite in (
        Invite.issue(alice.id, Did(CAROL), now, None),
        Invite.issue(alice.id, Handle("x.test"), now, now + timedelta(hours=1)),
        Invite.issue(bob.id, Did(DAVE), now, None),
    ):
        await invites.add(invite)
    assert await invites.count_pending(alice.id, now) == 2
    assert await invites.count_pending(bob.id, now) == 1
    assert await invites.count_pending(alice.id, now + timedelta(hours=1)) == 1
    assert await invites.count_pending(uuid.uuid4(), now) == 0


async def test_every_field_of_an_invite_round_trips_through_acceptance_and_revocation(env):
    clock = await env.get(FakeClock)
    alice, bob = await seed_member(env, ALICE), await seed_member(env, BOB)
    invites = await env.get(InviteRepository)
    now = clock.now()
    accepted = Invite.issue(alice.id, Did(CAROL), now, now + timedelta(days=1))
    revoked = Invite.issue(alice.id, Handle("x.test"), now, None)
    await invites.add(accepted)
    await invites.add(revoked)
    later = now + timedelta(minutes=3)
    assert await invites.mark_accepted(accepted.id, bob.id, later)
    assert await invites.mark_revoked(revoked.id, later)
    assert await invites.get(accepted.id) == dataclasses.replace(
        accepted, stored_status=InviteStatus.ACCEPTED, accepted_by=bob.id, accepted_at=later
    )
    assert await invites.get(revoked.id) == dataclasses.replace(
        revoked, stored_status=InviteStatus.REVOKED, revoked_at=later
    )
    assert await invites.get(uuid.uuid4()) is None
