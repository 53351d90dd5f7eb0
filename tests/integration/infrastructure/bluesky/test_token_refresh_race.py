"""Concurrent refreshes for one DID, each on its own connection to a database whose
connections see each other's commits. Refresh tokens are single use: without the
per-DID lock both would reach the authorization server and the loser would be
refused (and, in real life, the account logged out)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from talk_backend.application.oauth_state import OAuthTokens
from talk_backend.infrastructure.bluesky.token_refresh import AtprotoTokenRefresher
from tests.factories import BOB
from tests.fakes.atproto_fixtures import point_at_fakes
from tests.fakes.clock import FakeClock
from tests.harness import create_env_fixture
from tests.integration.infrastructure.bluesky.signed_in import sign_in, stored_tokens

race_env = create_env_fixture(
    unmock={"persistence", "bluesky"}, isolation="database", settings=point_at_fakes
)

CONCURRENT = 4


async def _refresh(env) -> OAuthTokens:
    async with env.scope() as request:
        return await (await request.get(AtprotoTokenRefresher)).fresh_tokens(BOB)


async def test_concurrent_refreshes_send_one_grant_and_agree(race_env, fake_atproto):
    clock = await race_env.get(FakeClock)
    fake_atproto.add_account(BOB, "bob.test")
    await sign_in(race_env, BOB)
    before = await stored_tokens(race_env, BOB)
    clock.advance(timedelta(minutes=31))
    # Slow answers: every caller has read the row before the first refresh lands.
    fake_atproto.refresh_delay = 0.3

    results = await asyncio.gather(*(_refresh(race_env) for _ in range(CONCURRENT)))

    assert fake_atproto.refresh_grants == 1
    assert fake_atproto.refreshes_refused == 0
    stored = await stored_tokens(race_env, BOB)
    assert stored.access_token != before.access_token
    assert {(r.access_token, r.refresh_token) for r in results} == {
        (stored.access_token, stored.refresh_token)
    }
