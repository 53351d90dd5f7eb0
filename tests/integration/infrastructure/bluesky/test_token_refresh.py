"""Token refresh against the fake authorization server over real HTTP, tokens in
PostgreSQL: a refresh rotates both tokens and stores them; the fake refuses a spent
or foreign-key refresh token, and the client says so without echoing tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
import pytest_asyncio

from talk_backend.application.errors import GrantRefreshRefused, UpstreamFailure
from talk_backend.infrastructure.bluesky.dpop import DpopKey
from talk_backend.infrastructure.bluesky.token_refresh import AtprotoTokenRefresher, NoBlueskyGrant
from tests.factories import BOB
from tests.fakes.atproto_fixtures import point_at_fakes
from tests.fakes.clock import FakeClock
from tests.harness import create_env_fixture
from tests.integration.infrastructure.bluesky.signed_in import sign_in, stored_tokens

refresh_env = create_env_fixture(unmock={"persistence", "bluesky"}, settings=point_at_fakes)

EXPIRED = timedelta(minutes=31)  # the fake's access tokens live 30 minutes


@pytest_asyncio.fixture(loop_scope="session")
async def signed_in(refresh_env, fake_atproto):
    fake_atproto.add_account(BOB, "bob.test")
    await sign_in(refresh_env, BOB)
    return refresh_env


async def test_fresh_tokens_are_used_as_they_are(signed_in, fake_atproto):
    before = await stored_tokens(signed_in, BOB)
    tokens = await (await signed_in.get(AtprotoTokenRefresher)).fresh_tokens(BOB)
    assert tokens.access_token == before.access_token
    assert fake_atproto.refresh_grants == 0


async def test_refresh_swaps_both_tokens_and_stores_them(signed_in, fake_atproto):
    clock = await signed_in.get(FakeClock)
    before = await stored_tokens(signed_in, BOB)
    clock.advance(EXPIRED)
    refresher = await signed_in.get(AtprotoTokenRefresher)

    renewed = await refresher.fresh_tokens(BOB)

    assert fake_atproto.refresh_grants == 1
    assert renewed.access_token != before.access_token
    assert renewed.refresh_token not in (None, before.refresh_token)
    assert renewed.expires_at == clock.now() + timedelta(seconds=1800)
    after = await stored_tokens(signed_in, BOB)
    assert (after.access_token, after.refresh_token, after.expires_at) == (
        renewed.access_token,
        renewed.refresh_token,
        renewed.expires_at,
    )
    assert after.dpop_private_jwk == before.dpop_private_jwk  # still bound to the same key
    assert "atproto" in after.scope.split()
    # Fresh now: asking again costs the authorization server nothing.
    assert (await refresher.fresh_tokens(BOB)).access_token == renewed.access_token
    assert fake_atproto.refresh_grants == 1


async def test_a_spent_refresh_token_is_refused(signed_in, fake_atproto):
    clock = await signed_in.get(FakeClock)
    spent = await stored_tokens(signed_in, BOB)
    clock.advance(EXPIRED)
    refresher = await signed_in.get(AtprotoTokenRefresher)
    await refresher.fresh_tokens(BOB)
    # Put the first (now spent) refresh token back, as a lost save or a replay would.
    await signed_in.execute(
        "UPDATE bluesky_grants SET refresh_token = :spent, expires_at = :past WHERE did = :did",
        spent=spent.refresh_token,
        past=clock.now() - timedelta(minutes=1),
        did=BOB,
    )

    with pytest.raises(
        GrantRefreshRefused, match=r"refresh the grant \(invalid_grant\)"
    ) as refused:
        await refresher.fresh_tokens(BOB)

    assert fake_atproto.refreshes_refused == 1
    assert spent.refresh_token not in str(refused.value)
    assert (await stored_tokens(signed_in, BOB)).refresh_token == spent.refresh_token  # unsaved


async def test_a_refresh_token_only_works_with_its_dpop_key(signed_in, fake_atproto):
    clock = await signed_in.get(FakeClock)
    mine = await stored_tokens(signed_in, BOB)
    clock.advance(EXPIRED)
    refresher = await signed_in.get(AtprotoTokenRefresher)
    await signed_in.execute(
        "UPDATE bluesky_grants SET dpop_private_jwk = :other WHERE did = :did",
        other=DpopKey.generate().to_json(),
        did=BOB,
    )

    with pytest.raises(UpstreamFailure, match=r"refresh failed \(invalid_dpop_proof\)"):
        await refresher.fresh_tokens(BOB)

    # The stranger's attempt did not burn the token: with the right key it still works.
    await signed_in.execute(
        "UPDATE bluesky_grants SET dpop_private_jwk = :mine WHERE did = :did",
        mine=mine.dpop_private_jwk,
        did=BOB,
    )
    renewed = await refresher.fresh_tokens(BOB)
    assert renewed.access_token != mine.access_token


async def test_no_grant_is_a_clear_error(refresh_env):
    with pytest.raises(NoBlueskyGrant, match="no Bluesky grant"):
        await (await refresh_env.get(AtprotoTokenRefresher)).fresh_tokens(BOB)


async def test_tokens_are_refreshed_once_two_minutes_or_less_are_left(signed_in, fake_atproto):
    """Early enough that a call to the PDS made with them does not meet an expired token."""
    clock = await signed_in.get(FakeClock)
    before = await stored_tokens(signed_in, BOB)
    refresher = await signed_in.get(AtprotoTokenRefresher)
    clock.advance(before.expires_at - timedelta(minutes=2) - clock.now())

    renewed = await refresher.fresh_tokens(BOB)

    assert fake_atproto.refresh_grants == 1
    assert renewed.access_token != before.access_token


async def test_an_expired_grant_without_a_refresh_token_says_so(signed_in, fake_atproto):
    clock = await signed_in.get(FakeClock)
    await signed_in.execute(
        "UPDATE bluesky_grants SET refresh_token = NULL WHERE did = :did", did=BOB
    )
    clock.advance(EXPIRED)
    refresher = await signed_in.get(AtprotoTokenRefresher)

    with pytest.raises(Exception, match="expired") as refused:
        await refresher.fresh_tokens(BOB)

    assert str(refused.value) == "the Bluesky grant expired and has no refresh token"
    assert fake_atproto.refresh_grants == 0
