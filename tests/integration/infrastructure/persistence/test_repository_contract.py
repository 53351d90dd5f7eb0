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
from tests.harness import create_env_fixture

fake_env = create_env_fixture()
sqla_env = create_env_fixture(unmock={"persistence"})


@pytest.fixture(params=["fake_env", "sqla_env"])
def env(request):
    return request.getfixturevalue(request.param)


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
    async def test_round_trip_by_did_and_handle(self, env):
        clock = await env.get(FakeClock)
        alice = await seed_member(env, ALICE)
        invites = await env.get(InviteRepository)
        now = clock.now()
        by_did = Invite.issue(alice.id, Did(BOB), now, now + timedelta(days=1))
        by_handle = Invite.issue(alice.id, Handle("carol.test"), now, None)
        await invites.add(by_did)
        await invites.add(by_handle)
        assert await invites.get(by_did.id) == by_did
        assert await invites.get(by_handle.id) == by_handle

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
