"""Invite-only sign-in against a real PostgreSQL, Bluesky faked."""

from datetime import timedelta

import pytest

from talk_backend.application.ports import (
    BlueskyGrantStore,
    BlueskySignIn,
    Clock,
    InviteRepository,
    TransactionManager,
    UserRepository,
)
from talk_backend.application.usecase.auth.complete_sign_in import CompleteSignIn
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.usecase.invites.revoke import RevokeInvite
from talk_backend.domain.errors import InviteRequired
from talk_backend.domain.identity import Did
from talk_backend.domain.invites import InviteStatus
from tests.factories import ALICE, BOB, seed_member
from tests.fakes.bluesky import FakeBlueskyGrantRevocation, FakeBlueskySignIn
from tests.fakes.clock import FakeClock
from tests.harness import create_env_fixture

integration_env = create_env_fixture(unmock={"persistence"})


class TestSignInWithInvite:
    async def test_invited_user_is_created_and_invite_accepted(self, integration_env):
        bluesky = await integration_env.get(FakeBlueskySignIn)
        inviter = await seed_member(integration_env, ALICE, "alice.test")
        create_invite = await integration_env.get(CreateInvite)
        invite = await create_invite.execute(inviter.id, BOB)

        callback = await bluesky.authorize(BOB, "bob.test")
        sign_in = await integration_env.get(CompleteSignIn)
        result = await sign_in.execute(callback)

        assert result.created is True
        users = await integration_env.get(UserRepository)
        saved = await users.get_by_did(Did(BOB))
        assert saved is not None and saved.id == result.user.id
        assert saved.invited_by == inviter.id
        rows = await integration_env.fetch(
            "SELECT status, accepted_by, accepted_at FROM invites WHERE id = :id", id=invite.id
        )
        assert rows[0].status == "accepted"
        assert rows[0].accepted_by == saved.id
        assert rows[0].accepted_at is not None
        stored = await (await integration_env.get(InviteRepository)).get(invite.id)
        assert stored is not None and stored.stored_status is InviteStatus.ACCEPTED

    async def test_sign_in_without_invite_is_refused_and_writes_nothing(self, integration_env):
        bluesky = await integration_env.get(FakeBlueskySignIn)
        inviter = await seed_member(integration_env, ALICE, "alice.test")
        other = await (await integration_env.get(CreateInvite)).execute(inviter.id, "carol.test")
        before = await integration_env.fetch("SELECT id, status FROM invites ORDER BY id")

        callback = await bluesky.authorize(BOB, "bob.test")
        sign_in = await integration_env.get(CompleteSignIn)
        with pytest.raises(InviteRequired, match="no valid invite"):
            await sign_in.execute(callback)

        assert await integration_env.fetch("SELECT 1 FROM users WHERE did = :did", did=BOB) == []
        assert await integration_env.fetch("SELECT id, status FROM invites ORDER BY id") == before
        assert before[0].id == other.id and before[0].status == "pending"


class TestSignInRefusals:
    async def test_expired_invite_is_refused(self, integration_env):
        clock = await integration_env.get(FakeClock)
        inviter = await seed_member(integration_env, ALICE)
        expires = clock.now() + timedelta(minutes=10)
        invite = await (await integration_env.get(CreateInvite)).execute(inviter.id, BOB, expires)
        clock.advance(timedelta(minutes=10))

        assert await _bobs_refused_sign_in(integration_env, invite.id) == "pending"

    async def test_revoked_invite_is_refused(self, integration_env):
        inviter = await seed_member(integration_env, ALICE)
        invite = await (await integration_env.get(CreateInvite)).execute(inviter.id, BOB)
        await (await integration_env.get(RevokeInvite)).execute(inviter.id, invite.id)

        assert await _bobs_refused_sign_in(integration_env, invite.id) == "revoked"

    async def test_handle_invite_needs_verified_handle(self, integration_env):
        bluesky = await integration_env.get(FakeBlueskySignIn)
        inviter = await seed_member(integration_env, ALICE)
        await (await integration_env.get(CreateInvite)).execute(inviter.id, "bob.test")
        sign_in = await integration_env.get(CompleteSignIn)

        unverified = await bluesky.authorize(BOB, "bob.test", handle_verified=False)
        with pytest.raises(InviteRequired):
            await sign_in.execute(unverified)
        assert await integration_env.fetch("SELECT 1 FROM users WHERE did = :d", d=BOB) == []

        result = await sign_in.execute(await bluesky.authorize(BOB, "bob.test"))
        assert result.created
        rows = await integration_env.fetch("SELECT handle FROM users WHERE did = :d", d=BOB)
        assert rows[0].handle == "bob.test"


class TestKnownUser:
    async def test_second_sign_in_creates_nothing(self, integration_env):
        bluesky = await integration_env.get(FakeBlueskySignIn)
        inviter = await seed_member(integration_env, ALICE)
        await (await integration_env.get(CreateInvite)).execute(inviter.id, BOB)
        sign_in = await integration_env.get(CompleteSignIn)
        first = await sign_in.execute(await bluesky.authorize(BOB))

        counts = "SELECT (SELECT count(*) FROM users) AS u, (SELECT count(*) FROM invites) AS i"
        before = await integration_env.fetch(counts)
        second = await sign_in.execute(await bluesky.authorize(BOB))

        assert (second.user.id, second.created) == (first.user.id, False)
        assert await integration_env.fetch(counts) == before


class TestRollback:
    async def test_failure_after_user_insert_leaves_nothing(self, integration_env):
        """The user INSERT happened; a failure before commit must undo it and the claim."""
        bluesky = await integration_env.get(FakeBlueskySignIn)
        inviter = await seed_member(integration_env, ALICE)
        invite = await (await integration_env.get(CreateInvite)).execute(inviter.id, BOB)
        users = _FailingAfterInsert(await integration_env.get(UserRepository))
        revocation = await integration_env.get(FakeBlueskyGrantRevocation)
        sign_in = CompleteSignIn(
            await integration_env.get(BlueskySignIn),
            users,
            await integration_env.get(InviteRepository),
            await integration_env.get(TransactionManager),
            await integration_env.get(Clock),
            await integration_env.get(BlueskyGrantStore),
            revocation,
        )

        with pytest.raises(RuntimeError, match="after the insert"):
            await sign_in.execute(await bluesky.authorize(BOB))

        # Nothing was kept, so the tokens Bluesky just handed over are revoked there.
        assert [grant.did for grant in revocation.revoked] == [BOB]

        assert users.inserted
        assert await integration_env.fetch("SELECT 1 FROM users WHERE did = :d", d=BOB) == []
        rows = await integration_env.fetch(
            "SELECT status, accepted_by FROM invites WHERE id = :id", id=invite.id
        )
        assert (rows[0].status, rows[0].accepted_by) == ("pending", None)


class _FailingAfterInsert:
    """The real repository, failing right after its INSERT succeeded."""

    def __init__(self, inner: UserRepository) -> None:
        self._inner = inner
        self.inserted = False

    async def add(self, user):
        await self._inner.add(user)
        self.inserted = True
        raise RuntimeError("simulated crash after the insert")

    def __getattr__(self, name):
        return getattr(self._inner, name)


async def _bobs_refused_sign_in(env, invite_id) -> str:
    """Bob's sign-in is refused and creates no user; returns his invite's status."""
    with pytest.raises(InviteRequired):
        bluesky = await env.get(FakeBlueskySignIn)
        await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))
    assert await env.fetch("SELECT 1 FROM users WHERE did = :d", d=BOB) == []
    rows = await env.fetch("SELECT status FROM invites WHERE id = :id", id=invite_id)
    return rows[0].status
