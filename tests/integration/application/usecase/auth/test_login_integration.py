"""Invite-only sign-in against a real PostgreSQL, Bluesky faked."""

import pytest

from talk_backend.application.ports import InviteRepository, UserRepository
from talk_backend.application.usecase.auth.login import Login
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.domain.errors import InviteRequired
from talk_backend.domain.identity import Did
from talk_backend.domain.invites import InviteStatus
from tests.factories import ALICE, BOB, seed_member
from tests.harness import create_env_fixture

integration_env = create_env_fixture(unmock={"persistence"})


class TestLoginWithInvite:
    @pytest.mark.asyncio
    async def test_invited_user_is_created_and_invite_accepted(self, integration_env):
        inviter = await seed_member(integration_env, ALICE, "alice.test")
        create_invite = await integration_env.get(CreateInvite)
        invite = await create_invite.execute(inviter.id, BOB)

        callback = await integration_env.bluesky.authorize(BOB, "bob.test")
        login = await integration_env.get(Login)
        result = await login.execute(callback)

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

    @pytest.mark.asyncio
    async def test_login_without_invite_is_refused_and_writes_nothing(self, integration_env):
        inviter = await seed_member(integration_env, ALICE, "alice.test")
        other = await (await integration_env.get(CreateInvite)).execute(inviter.id, "carol.test")
        before = await integration_env.fetch("SELECT id, status FROM invites ORDER BY id")

        callback = await integration_env.bluesky.authorize(BOB, "bob.test")
        login = await integration_env.get(Login)
        with pytest.raises(InviteRequired, match="no valid invite"):
            await login.execute(callback)

        assert await integration_env.fetch("SELECT 1 FROM users WHERE did = :did", did=BOB) == []
        assert await integration_env.fetch("SELECT id, status FROM invites ORDER BY id") == before
        assert before[0].id == other.id and before[0].status == "pending"
