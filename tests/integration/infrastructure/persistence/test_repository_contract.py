"""One contract, two implementations: the in-memory fakes must behave like the
SQLAlchemy repositories, or unit tests on fakes would prove nothing."""

from datetime import timedelta

import pytest

from talk_backend.application.ports import InviteRepository, UserRepository
from talk_backend.domain.errors import DuplicateUser
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity
from talk_backend.domain.invites import Invite, InviteStatus
from talk_backend.domain.users import User
from tests.factories import ALICE, BOB, CAROL, seed_member
from tests.fakes.clock import FakeClock


class TestUserRepositoryContract:
    async def test_round_trip(self, env):
        clock = await env.get(FakeClock)
        users = await env.get(UserRepository)
        user = User.register(Did(BOB), Handle("bob.test"), clock.now(), None)
        await users.add(user)
        assert await users.get(user.id) == user
        assert await users.get_by_did(Did(BOB)) == user
        assert await users.lock(user.id) == user
        assert await users.get_by_did(Did(CAROL)) is None

    async def test_duplicate_did_is_refused(self, env):
        clock = await env.get(FakeClock)
        users = await env.get(UserRepository)
        await users.add(User.register(Did(BOB), None, clock.now(), None))
        with pytest.raises(DuplicateUser, match=BOB):
            await users.add(User.register(Did(BOB), None, clock.now(), None))
        # The first user is still there: the failed insert did not poison the unit.
        assert await users.get_by_did(Did(BOB)) is not None


class TestInviteRepositoryContract:
    async def test_listing_counting_and_finding(self, env):
        clock = await env.get(FakeClock)
        alice = await seed_member(env, ALICE)
        invites = await env.get(InviteRepository)
        now = clock.now()
        old = Invite.issue(alice.id, Did(BOB), now - timedelta(hours=2), None)
        lapsing = Invite.issue(alice.id, Did(CAROL), now - timedelta(hours=1), now)
        by_handle = Invite.issue(alice.id, Handle("bob.test"), now, None)
        for invite in (old, lapsing, by_handle):
            await invites.add(invite)

        listed = await invites.list_by_inviter(alice.id)
        assert [i.id for i in listed] == [by_handle.id, lapsing.id, old.id]
        assert await invites.count_pending(alice.id, now) == 2
        assert await invites.has_pending_for(Did(BOB), now)
        assert not await invites.has_pending_for(Did(CAROL), now)

        verified = VerifiedIdentity(Did(BOB), Handle("bob.test"))
        found = await invites.find_usable_for(verified, now)
        assert [i.id for i in found] == [old.id, by_handle.id]
        unverified = VerifiedIdentity(Did(BOB), None)
        assert [i.id for i in await invites.find_usable_for(unverified, now)] == [old.id]

    async def test_accept_and_revoke_are_conditional(self, env):
        clock = await env.get(FakeClock)
        alice = await seed_member(env, ALICE)
        bob = await seed_member(env, BOB)
        invites = await env.get(InviteRepository)
        now = clock.now()
        first = Invite.issue(alice.id, Did(CAROL), now, now + timedelta(minutes=5))
        second = Invite.issue(alice.id, Handle("x.test"), now, None)
        await invites.add(first)
        await invites.add(second)

        assert not await invites.mark_accepted(first.id, bob.id, now + timedelta(minutes=5))
        assert await invites.mark_accepted(first.id, bob.id, now)
        assert not await invites.mark_accepted(first.id, alice.id, now)
        assert not await invites.mark_revoked(first.id, now)
        accepted = await invites.get(first.id)
        assert accepted is not None
        assert (accepted.stored_status, accepted.accepted_by) == (InviteStatus.ACCEPTED, bob.id)

        assert await invites.mark_revoked(second.id, now)
        assert not await invites.mark_revoked(second.id, now)
        assert not await invites.mark_accepted(second.id, bob.id, now)
        revoked = await invites.get(second.id)
        assert revoked is not None and revoked.revoked_at == now


# Every state the invite rule distinguishes, for an invite naming a DID and one naming
# a handle: what the repository answers must be what the domain says.
STATES = ["pending", "pending-forever", "expires-now", "expired", "accepted", "revoked"]


async def _invite_in_state(env, invites, inviter, member, invitee, state):
    now = (await env.get(FakeClock)).now()
    created = now - timedelta(days=2)
    expiry = {
        "pending-forever": None,
        "expires-now": now,  # an expiry equal to now has lapsed
        "expired": now - timedelta(days=1),
    }.get(state, now + timedelta(days=1))
    invite = Invite.issue(inviter.id, invitee, created, expiry)
    await invites.add(invite)
    assert await invites.get(invite.id) == invite  # the round trip, by DID and by handle
    if state == "accepted":
        assert await invites.mark_accepted(invite.id, member.id, now)
    if state == "revoked":
        assert await invites.mark_revoked(invite.id, now)
    stored = await invites.get(invite.id)
    assert stored is not None
    return stored


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", ["did", "handle"])
async def test_the_invite_rule_is_the_domains(env, state, kind):
    alice = await seed_member(env, ALICE)
    carol = await seed_member(env, CAROL)
    invites = await env.get(InviteRepository)
    invitee = Did(BOB) if kind == "did" else Handle("bob.test")
    invite = await _invite_in_state(env, invites, alice, carol, invitee, state)
    now = (await env.get(FakeClock)).now()
    usable = invite.is_usable_at(now)
    assert usable == (state in ("pending", "pending-forever"))

    assert await invites.count_pending(alice.id, now) == int(usable)
    assert await invites.has_pending_for(invitee, now) == usable
    bob = VerifiedIdentity(Did(BOB), Handle("bob.test"))
    assert [i.id for i in await invites.find_usable_for(bob, now)] == (
        [invite.id] if usable and invite.names(bob) else []
    )
    unverified = VerifiedIdentity(Did(BOB), None)
    assert [i.id for i in await invites.find_usable_for(unverified, now)] == (
        [invite.id] if usable and invite.names(unverified) else []
    )
    someone_else = VerifiedIdentity(Did(CAROL), Handle("carol.test"))
    assert await invites.find_usable_for(someone_else, now) == []

    # Revoking follows Invite.is_revocable (an expired pending invite can be withdrawn)
    # and changes nothing of an invite that does not qualify.
    revocable = invite.is_revocable()
    assert await invites.mark_revoked(invite.id, now) == revocable
    after = await invites.get(invite.id)
    assert after is not None
    assert after == (invite.revoked(now) if revocable else invite)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", ["did", "handle"])
async def test_accepting_follows_the_domains_rule(env, state, kind):
    """Accepting follows Invite.is_usable_at and changes nothing of an invite that is
    not usable (accepted, revoked, lapsed)."""
    alice = await seed_member(env, ALICE)
    carol = await seed_member(env, CAROL)
    dave = await seed_member(env, "did:plc:dave2345dave2345dave2345")
    invites = await env.get(InviteRepository)
    invitee = Did(BOB) if kind == "did" else Handle("bob.test")
    invite = await _invite_in_state(env, invites, alice, carol, invitee, state)
    now = (await env.get(FakeClock)).now()
    usable = invite.is_usable_at(now)

    assert await invites.mark_accepted(invite.id, dave.id, now) == usable
    after = await invites.get(invite.id)
    assert after == (invite.accepted(dave.id, now) if usable else invite)
