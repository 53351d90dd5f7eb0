"""SqlaBlueskyGrantStore, the login's and logout's access to grants: both writes belong
to the request's unit of work, and each hands back the grant it displaced, for the
use case to revoke at Bluesky after the commit."""

from __future__ import annotations

from talk_backend.application.oauth_state import OAuthTokens
from talk_backend.application.ports import BlueskyGrantStore, CompletedSignIn, TransactionManager
from talk_backend.domain.identity import Did, VerifiedIdentity
from tests.factories import BOB
from tests.fakes.clock import FakeClock
from tests.fakes.oauth_state import sample_tokens
from tests.harness import Env, create_env_fixture

grant_env = create_env_fixture(unmock={"persistence", "bluesky"})


async def tokens(env: Env) -> OAuthTokens:
    return sample_tokens((await env.get(FakeClock)).now(), BOB)


def signed_in(grant) -> CompletedSignIn:
    return CompletedSignIn(VerifiedIdentity(Did(BOB), None), grant)


async def test_keep_returns_the_grant_it_replaces(grant_env):
    store, tx = await grant_env.get(BlueskyGrantStore), await grant_env.get(TransactionManager)
    first = await tokens(grant_env)
    second = await tokens(grant_env)

    assert await store.keep(signed_in(first)) is None
    await tx.commit()
    assert await store.keep(signed_in(second)) == first
    await tx.commit()

    rows = await grant_env.fetch("SELECT access_token FROM bluesky_grants")
    assert [row.access_token for row in rows] == [second.access_token]


async def test_take_removes_the_grant_with_the_commit_only(grant_env):
    store, tx = await grant_env.get(BlueskyGrantStore), await grant_env.get(TransactionManager)
    grant = await tokens(grant_env)
    await store.keep(signed_in(grant))
    await tx.commit()

    assert await store.take(Did(BOB)) == grant
    await tx.rollback()
    assert len(await grant_env.fetch("SELECT 1 FROM bluesky_grants")) == 1

    assert await store.take(Did(BOB)) == grant
    await tx.commit()
    assert await grant_env.fetch("SELECT 1 FROM bluesky_grants") == []
    assert await store.take(Did(BOB)) is None
