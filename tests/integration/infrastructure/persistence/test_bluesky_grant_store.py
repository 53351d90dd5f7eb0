"""One BlueskyGrantStore contract, two implementations: SqlaBlueskyGrantStore and the
in-memory InMemoryBlueskyGrantStore. The sign-in's and sign-out's access to grants: both
writes belong to the request's unit of work, and each hands back the grant it
displaced, for the use case to revoke at Bluesky after the commit."""

from __future__ import annotations

import pytest

from talk_backend.application.oauth_state import OAuthTokens
from talk_backend.application.ports import (
    BlueskyGrantStore,
    CompletedSignIn,
    OAuthGrantStore,
    TransactionManager,
)
from talk_backend.domain.identity import Did, VerifiedIdentity
from tests.factories import BOB
from tests.fakes.clock import FakeClock
from tests.fakes.oauth_state import sample_tokens
from tests.harness import Env


async def tokens(env: Env) -> OAuthTokens:
    return sample_tokens((await env.get(FakeClock)).now(), BOB)


def signed_in(grant: object) -> CompletedSignIn:
    return CompletedSignIn(VerifiedIdentity(Did(BOB), None), grant)


async def stored(env: Env) -> OAuthTokens | None:
    """BOB's grant as another request sees it."""
    async with env.scope() as other:
        grants = await other.get(OAuthGrantStore)
        async with grants.refreshing(BOB) as (current, _save):
            return current


async def test_keep_returns_the_grant_it_replaces(env):
    store, tx = await env.get(BlueskyGrantStore), await env.get(TransactionManager)
    first = await tokens(env)
    second = await tokens(env)

    assert await store.keep(signed_in(first)) is None
    await tx.commit()
    assert await store.keep(signed_in(second)) == first
    await tx.commit()

    assert await stored(env) == second


async def test_take_removes_the_grant_with_the_commit_only(env):
    store, tx = await env.get(BlueskyGrantStore), await env.get(TransactionManager)
    grant = await tokens(env)
    await store.keep(signed_in(grant))
    await tx.commit()

    assert await store.take(Did(BOB)) == grant
    await tx.rollback()
    assert await stored(env) == grant

    assert await store.take(Did(BOB)) == grant
    await tx.commit()
    assert await stored(env) is None
    assert await store.take(Did(BOB)) is None


async def test_a_kept_grant_lands_with_the_commit(committing_env):
    """Another request sees no grant until the sign-in commits; a rollback leaves none."""
    store, tx = (
        await committing_env.get(BlueskyGrantStore),
        await committing_env.get(TransactionManager),
    )
    dropped, kept = await tokens(committing_env), await tokens(committing_env)
    await store.keep(signed_in(dropped))
    assert await stored(committing_env) is None
    await tx.rollback()
    assert await stored(committing_env) is None

    await store.keep(signed_in(kept))
    await tx.commit()
    assert await stored(committing_env) == kept


async def test_only_a_grant_of_the_atproto_sign_in_is_kept(env):
    with pytest.raises(TypeError, match="did not come from the atproto sign-in"):
        await (await env.get(BlueskyGrantStore)).keep(signed_in("tokens?"))
