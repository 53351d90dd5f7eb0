"""The BlueskyGrants and BlueskyGrantRevocation contracts, run against the fakes and
against the real atproto client talking to the fake authorization server over HTTP.

The real client runs with `unmock={"bluesky"}` alone: over the in-memory persistence
group's stores (pending requests, grants), which is also what shows that pairing works."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import pytest_asyncio

from talk_backend.application.errors import GrantRefreshRefused
from talk_backend.application.oauth_state import OAuthTokens
from talk_backend.application.ports import (
    BlueskyGrantRevocation,
    BlueskyGrants,
    BlueskyGrantStore,
    BlueskySignIn,
    OAuthGrantStore,
    TransactionManager,
)
from talk_backend.domain.identity import Did
from tests.factories import BOB, CAROL
from tests.fakes.atproto_fixtures import point_at_fakes
from tests.fakes.authorization import approved_callback
from tests.fakes.bluesky import FakeBlueskySignIn
from tests.fakes.clock import FakeClock
from tests.fakes.memory_store import MemoryStore
from tests.fakes.oauth_state import sample_tokens
from tests.harness import Env, create_env_fixture

pytestmark = pytest.mark.integration

fake_env = create_env_fixture()
real_env = create_env_fixture(unmock={"bluesky"}, settings=point_at_fakes)

EXPIRED = timedelta(minutes=31)  # both servers' access tokens live 30 minutes


class GrantsContract:
    """Subclasses provide `approved`: a callback Bluesky approved for BOB."""

    @pytest_asyncio.fixture(loop_scope="session")
    async def member(self, env: Env, approved) -> OAuthTokens:
        """BOB signed in and his grant kept, as CompleteSignIn keeps a member's."""
        signed_in = await (await env.get(BlueskySignIn)).complete(await approved())
        await (await env.get(BlueskyGrantStore)).keep(signed_in)
        await (await env.get(TransactionManager)).commit()
        assert isinstance(signed_in.grant, OAuthTokens)
        return signed_in.grant

    async def test_no_grant_no_status(self, env):
        assert await (await env.get(BlueskyGrants)).fresh_status(Did(CAROL)) is None

    async def test_a_fresh_grant_is_reported_as_it_is(self, env, member):
        status = await (await env.get(BlueskyGrants)).fresh_status(Did(BOB))
        assert status is not None
        assert (status.did, status.expires_at) == (BOB, member.expires_at)
        assert "atproto" in status.scope.split()
        assert (await env.get(MemoryStore)).grants[BOB] == member  # nothing refreshed

    async def test_an_expired_grant_is_refreshed_and_saved(self, env, member):
        clock = await env.get(FakeClock)
        clock.advance(EXPIRED)
        status = await (await env.get(BlueskyGrants)).fresh_status(Did(BOB))
        assert status is not None and status.expires_at > clock.now()
        saved = (await env.get(MemoryStore)).grants[BOB]
        assert saved.refresh_token not in (None, member.refresh_token)
        assert saved.dpop_private_jwk == member.dpop_private_jwk  # the same key

    async def test_a_revoked_grant_cannot_be_refreshed(self, env, member):
        await (await env.get(BlueskyGrantRevocation)).revoke(member)
        (await env.get(FakeClock)).advance(EXPIRED)
        with pytest.raises(GrantRefreshRefused, match="refused to refresh"):
            await (await env.get(BlueskyGrants)).fresh_status(Did(BOB))

    async def test_a_spent_refresh_token_is_refused(self, env, member):
        clock = await env.get(FakeClock)
        clock.advance(EXPIRED)
        grants = await env.get(BlueskyGrants)
        await grants.fresh_status(Did(BOB))
        # The spent token back, as a lost save or a replay would have it.
        stale = replace(member, expires_at=clock.now() - timedelta(minutes=1))
        await (await env.get(OAuthGrantStore)).save(stale)
        with pytest.raises(GrantRefreshRefused, match="refused to refresh"):
            await grants.fresh_status(Did(BOB))

    async def test_an_expired_grant_without_refresh_token_needs_a_new_sign_in(self, env, member):
        clock = await env.get(FakeClock)
        stale = replace(member, refresh_token=None, expires_at=clock.now())
        await (await env.get(OAuthGrantStore)).save(stale)
        with pytest.raises(GrantRefreshRefused, match="no refresh token"):
            await (await env.get(BlueskyGrants)).fresh_status(Did(BOB))

    async def test_revocation_takes_only_a_grant_of_the_atproto_sign_in(self, env):
        with pytest.raises(TypeError, match="did not come from the atproto sign-in"):
            await (await env.get(BlueskyGrantRevocation)).revoke("tokens?")

    async def test_revocation_never_raises_for_the_servers_failure(self, env):
        """A grant whose server does not answer (a closed port on 127.0.0.1)."""
        gone = sample_tokens((await env.get(FakeClock)).now(), BOB, issuer="http://127.0.0.1:9")
        await (await env.get(BlueskyGrantRevocation)).revoke(gone)


class TestFakeBluesky(GrantsContract):
    @pytest.fixture
    def env(self, fake_env) -> Env:
        return fake_env

    @pytest_asyncio.fixture(loop_scope="session")
    async def approved(self, fake_env):
        fake = await fake_env.get(FakeBlueskySignIn)
        return lambda: fake.authorize(BOB, "bob.test")


class TestAtprotoClient(GrantsContract):
    @pytest.fixture
    def env(self, real_env) -> Env:
        return real_env

    @pytest_asyncio.fixture(loop_scope="session")
    async def approved(self, real_env, fake_atproto):
        fake_atproto.add_account(BOB, "bob.test")
        sign_in = await real_env.get(BlueskySignIn)

        return lambda: approved_callback(sign_in, BOB)
