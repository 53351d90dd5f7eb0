"""POST /me/bluesky-grant/refresh: the member's Bluesky grant, refreshed when expired,
over real HTTP against the fake authorization server. Tokens never reach the browser."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest_asyncio

from tests.factories import ALICE
from tests.fakes.clock import FakeClock

EXPIRED = timedelta(minutes=31)


@pytest_asyncio.fixture(loop_scope="session")
async def alice(e2e_env, fake_atproto, browser):
    return await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")


async def tokens(env) -> tuple[str, str]:
    row = (await env.fetch("SELECT access_token, refresh_token FROM bluesky_grants"))[0]
    return row.access_token, row.refresh_token


async def test_live_grant_is_shown_without_tokens(alice, e2e_env, fake_atproto):
    clock = await e2e_env.get(FakeClock)
    answer = await alice.post("/me/bluesky-grant/refresh")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["did"] == ALICE and "atproto" in body["scope"].split()
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires == clock.now() + timedelta(seconds=1800)
    assert all(token not in answer.text for token in await tokens(e2e_env))
    assert fake_atproto.refresh_grants == 0


async def test_expired_grant_is_refreshed_first(alice, e2e_env, fake_atproto):
    clock = await e2e_env.get(FakeClock)
    old = await tokens(e2e_env)
    clock.advance(EXPIRED)

    answer = await alice.post("/me/bluesky-grant/refresh")

    assert answer.status_code == 200, answer.text
    assert datetime.fromisoformat(answer.json()["expires_at"]) > clock.now()
    assert fake_atproto.refresh_grants == 1
    new = await tokens(e2e_env)
    assert set(new).isdisjoint(old)
    assert all(token not in answer.text for token in (*old, *new))


async def test_refused_refresh_says_sign_in_again(alice, e2e_env, fake_atproto):
    clock = await e2e_env.get(FakeClock)
    old = await tokens(e2e_env)
    fake_atproto.grants.refresh_tokens.clear()  # the server forgot (revoked) them all
    clock.advance(EXPIRED)

    answer = await alice.post("/me/bluesky-grant/refresh")

    assert answer.status_code == 409
    assert "refresh the grant (invalid_grant)" in answer.json()["detail"]
    assert all(token not in answer.text for token in old)


async def test_no_stored_grant_is_404(alice, e2e_env):
    await e2e_env.execute("DELETE FROM bluesky_grants")
    answer = await alice.post("/me/bluesky-grant/refresh")
    assert answer.status_code == 404 and "sign in again" in answer.json()["detail"]


async def test_without_a_web_session_401(api):
    assert (await api.post("/me/bluesky-grant/refresh")).status_code == 401


async def test_the_grant_is_not_served_on_get(alice):
    """Refreshing writes; a GET must not (and the old path is gone)."""
    assert (await alice.get("/me/bluesky-grant/refresh")).status_code == 405
    assert (await alice.get("/me/bluesky-session")).status_code == 404


async def test_a_cross_site_refresh_is_refused(alice, fake_atproto):
    answer = await alice.post(
        "/me/bluesky-grant/refresh", headers={"Origin": "https://evil.example.com"}
    )
    assert answer.status_code == 403
    assert fake_atproto.refresh_grants == 0
