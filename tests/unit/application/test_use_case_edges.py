"""Use cases at their edges, on in-memory fakes: the exact messages clients receive as
`detail`, what is recorded and when, and the races a second request can win."""

import dataclasses
import uuid

import pytest

from talk_backend.application.errors import GrantNotFound
from talk_backend.application.oauth_state import OAuthTokens, PendingAuthorization
from talk_backend.application.ports import (
    BlueskyGrantStatus,
    Clock,
    InviteRepository,
    TransactionManager,
    UserRepository,
)
from talk_backend.application.usecase.auth.complete_sign_in import CompleteSignIn
from talk_backend.application.usecase.auth.start_sign_in import StartSignIn
from talk_backend.application.usecase.bluesky_grants.refresh import RefreshBlueskyGrant
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.usecase.invites.revoke import RevokeInvite
from talk_backend.application.usecase.users.register_founder import RegisterFounder
from talk_backend.domain.errors import (
    AlreadyMember,
    InvalidHandle,
    InvalidInvitee,
    InviteAlreadyPending,
    InviteNotFound,
    InviteNotPending,
    InviterNotActive,
    NotInviteOwner,
    UserNotFound,
)
from talk_backend.domain.identity import Did, Handle
from talk_backend.domain.invites import InviteStatus
from tests.factories import ALICE, BOB, CAROL, seed_member
from tests.fakes.bluesky import FakeBlueskySignIn
from tests.fakes.clock import FakeClock
from tests.fakes.memory_store import MemoryStore
from tests.harness import create_env_fixture

env = create_env_fixture()


async def _raises(exc_type, message, awaitable):
    with pytest.raises(exc_type) as raised:
        await awaitable
    assert str(raised.value) == message


class TestCreateInviteMessages:
    async def test_each_refusal_says_exactly_why(self, env):
        alice = await seed_member(env, ALICE)
        await seed_member(env, BOB, "bob.test")
        create = await env.get(CreateInvite)
        nobody = uuid.uuid4()
        await _raises(
            InvalidInvitee,
            "handle.invalid names nobody; invite by DID instead",
            create.execute(alice.id, "handle.invalid"),
        )
        await _raises(
            UserNotFound, f"inviter {nobody} does not exist", create.execute(nobody, CAROL)
        )
        await _raises(AlreadyMember, f"{BOB} is already a member", create.execute(alice.id, BOB))
        await _raises(
            AlreadyMember,
            "bob.test is already a member's handle",
            create.execute(alice.id, "bob.test"),
        )
        await create.execute(alice.id, CAROL)
        await _raises(
            InviteAlreadyPending,
            f"{CAROL} already has a pending invite",
            create.execute(alice.id, CAROL),
        )

    async def test_a_deactivated_member_cannot_invite(self, env):
        alice = await seed_member(env, ALICE)
        store = await env.get(MemoryStore)
        store.users[alice.id] = dataclasses.replace(alice, is_active=False)
        await _raises(
            InviterNotActive,
            "deactivated members cannot invite",
            (await env.get(CreateInvite)).execute(alice.id, CAROL),
        )
        assert store.invites == {}


class TestRevokeInvite:
    async def test_records_when_and_says_exactly_why_it_refuses(self, env):
        clock = await env.get(FakeClock)
        alice, bob = await seed_member(env, ALICE), await seed_member(env, BOB)
        invite = await (await env.get(CreateInvite)).execute(alice.id, CAROL)
        revoke = await env.get(RevokeInvite)
        missing = uuid.uuid4()
        await _raises(
            InviteNotFound, f"invite {missing} does not exist", revoke.execute(alice.id, missing)
        )
        await _raises(
            NotInviteOwner,
            "only the member who sent an invite can revoke it",
            revoke.execute(bob.id, invite.id),
        )
        revoked = await revoke.execute(alice.id, invite.id)
        stored = (await env.get(MemoryStore)).invites[invite.id]
        assert (revoked.revoked_at, stored.revoked_at) == (clock.now(), clock.now())
        assert stored.stored_status is InviteStatus.REVOKED

    async def test_an_acceptance_that_commits_meanwhile_wins(self, env):
        alice = await seed_member(env, ALICE)
        invite = await (await env.get(CreateInvite)).execute(alice.id, CAROL)
        store = await env.get(MemoryStore)
        invites = await env.get(InviteRepository)

        class AcceptedMeanwhile:
            """The invitee's sign-in commits between the read and the conditional write."""

            def __getattr__(self, name):
                return getattr(invites, name)

            async def mark_revoked(self, invite_id, now):
                store.invites[invite_id] = store.invites[invite_id].accepted(uuid.uuid4(), now)
                return await invites.mark_revoked(invite_id, now)

        revoke = RevokeInvite(
            AcceptedMeanwhile(), await env.get(TransactionManager), await env.get(Clock)
        )
        await _raises(
            InviteNotPending,
            f"invite {invite.id} was accepted or revoked meanwhile",
            revoke.execute(alice.id, invite.id),
        )


class TestRegisterFounder:
    async def test_records_when_and_refuses_a_second_time(self, env):
        clock = await env.get(FakeClock)
        founder = await seed_member(env, ALICE, "alice.test")
        assert (founder.created_at, founder.invited_by, founder.handle) == (
            clock.now(),
            None,
            Handle("alice.test"),
        )
        assert await (await env.get(UserRepository)).get_by_did(Did(ALICE)) == founder
        await _raises(
            AlreadyMember,
            f"{ALICE} is already a member",
            (await env.get(RegisterFounder)).execute(Did(ALICE)),
        )


class TestSignIn:
    async def test_a_new_member_is_registered_at_the_time_of_sign_in(self, env):
        clock = await env.get(FakeClock)
        bluesky = await env.get(FakeBlueskySignIn)
        alice = await seed_member(env, ALICE)
        await (await env.get(CreateInvite)).execute(alice.id, BOB)
        result = await (await env.get(CompleteSignIn)).execute(
            await bluesky.authorize(BOB, "bob.test")
        )
        assert (result.user.did, result.user.created_at, result.created) == (
            Did(BOB),
            clock.now(),
            True,
        )

    async def test_losing_the_race_to_a_concurrent_first_sign_in_signs_in_as_the_winner(self, env):
        """Two first sign-ins of one DID: the loser's insert hits DuplicateUser. It signs
        in as the winner's user and its claim of the invite is rolled back."""
        bluesky = await env.get(FakeBlueskySignIn)
        alice = await seed_member(env, ALICE)
        invite = await (await env.get(CreateInvite)).execute(alice.id, BOB)
        winner = await seed_member(env, BOB)  # committed while the loser was in flight
        users = await env.get(UserRepository)
        looked_up = []

        class NotYetCommitted:
            """The winner's row is not visible to the loser's first lookup."""

            def __getattr__(self, name):
                return getattr(users, name)

            async def get_by_did(self, did):
                looked_up.append(did)
                return None if len(looked_up) == 1 else await users.get_by_did(did)

        sign_in = dataclasses.replace(await env.get(CompleteSignIn), users=NotYetCommitted())
        result = await sign_in.execute(await bluesky.authorize(BOB))
        assert (result.user, result.created) == (winner, False)
        assert looked_up == [Did(BOB), Did(BOB)]
        stored = (await env.get(MemoryStore)).invites[invite.id]
        assert (stored.stored_status, stored.accepted_by) == (InviteStatus.PENDING, None)


class TestStartSignIn:
    async def test_the_named_account_and_browser_reach_bluesky(self, env):
        bluesky = await env.get(FakeBlueskySignIn)
        start = await env.get(StartSignIn)
        redirect = await start.execute("@Bob.Test", "binding-1")
        flow = bluesky._flows[redirect.state]
        assert (flow.account, flow.browser_binding) == (Handle("bob.test"), "binding-1")
        redirect = await start.execute(None, "binding-2")
        flow = bluesky._flows[redirect.state]
        assert (flow.account, flow.browser_binding) == (None, "binding-2")

    async def test_a_malformed_account_is_refused_before_bluesky_is_asked(self, env):
        bluesky = await env.get(FakeBlueskySignIn)
        with pytest.raises(InvalidHandle):
            await (await env.get(StartSignIn)).execute("not a handle", "binding")
        assert bluesky._flows == {}


async def test_refresh_grant_asks_for_the_members_own_did(env):
    bluesky = await env.get(FakeBlueskySignIn)
    member = await seed_member(env, BOB)
    await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(BOB))
    kept = (await env.get(MemoryStore)).grants[BOB]
    refresh = await env.get(RefreshBlueskyGrant)
    assert await refresh.execute(member) == BlueskyGrantStatus(BOB, kept.scope, kept.expires_at)
    with pytest.raises(GrantNotFound, match=r"^no Bluesky grant for this member; sign in again$"):
        await refresh.execute(await seed_member(env, CAROL))


class TestOAuthStateSecrets:
    """The docstring's promise: tokens, keys and verifiers never print."""

    def _records(self):
        now = FakeClock().now()
        pending = PendingAuthorization(
            "state-1", "binding-hash", "https://issuer.test", "did:plc:x", "https://pds.test",
            "https://issuer.test/token", "VERIFIER-SECRET", "JWK-SECRET", now, now,
        )  # fmt: skip
        tokens = OAuthTokens(
            "did:plc:x", "https://issuer.test", "https://pds.test", "https://issuer.test/token",
            "atproto", "ACCESS-SECRET", "REFRESH-SECRET", "JWK-SECRET", now, now,
        )  # fmt: skip
        return pending, tokens

    def test_repr_shows_no_secret(self):
        for record in self._records():
            shown = repr(record) + repr(record.origin())
            for secret in ("VERIFIER-SECRET", "JWK-SECRET", "ACCESS-SECRET", "REFRESH-SECRET"):
                assert secret not in shown
            assert "https://pds.test" in shown

    def test_origin_carries_what_a_token_response_is_checked_against(self):
        for record in self._records():
            origin = record.origin()
            assert (
                origin.did,
                origin.issuer,
                origin.pds_url,
                origin.token_endpoint,
                origin.dpop_private_jwk,
            ) == ("did:plc:x", "https://issuer.test", "https://pds.test",
                  "https://issuer.test/token", "JWK-SECRET")  # fmt: skip
