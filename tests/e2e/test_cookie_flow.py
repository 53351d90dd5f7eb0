"""Which cookies the sign-in flow sets and deletes, over real HTTP, and when a session
cookie stops working: at exactly its expiry, and as soon as its member is deactivated.
(The attributes of each cookie: tests/unit/entrypoints/test_cookies.py.)"""

from __future__ import annotations

from datetime import timedelta

from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.web_session_policy import WebSessionPolicy
from tests.factories import ALICE, BOB, seed_member
from tests.fakes.clock import FakeClock


def _cookies(response) -> dict[str, str]:
    """name -> the Set-Cookie header for it."""
    return {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}


async def _invited(env, fake_atproto):
    fake_atproto.add_account(BOB, "bob.test")
    inviter = await seed_member(env, ALICE, "alice.test")
    await (await env.get(CreateInvite)).execute(inviter.id, BOB)


async def test_start_sets_the_binding_callback_swaps_it_for_the_session_sign_out_ends_it(
    e2e_env, fake_atproto, browser
):
    await _invited(e2e_env, fake_atproto)
    started = await browser.start(BOB)
    assert set(_cookies(started)) == {"talk_oauth_binding"}
    assert "Path=/auth" in _cookies(started)["talk_oauth_binding"]

    done = await browser.callback(await browser.authorize(started.headers["location"]))
    cookies = _cookies(done)
    assert set(cookies) == {"talk_session", "talk_oauth_binding"}
    assert "Max-Age=0" in cookies["talk_oauth_binding"]
    assert "Path=/auth" in cookies["talk_oauth_binding"]
    assert "Max-Age=0" not in cookies["talk_session"]
    assert (await browser.api.get("/me")).status_code == 200

    out = await browser.api.post("/auth/sign-out")
    cookies = _cookies(out)
    assert set(cookies) == {"talk_session"}
    assert "Max-Age=0" in cookies["talk_session"] and "Path=/" in cookies["talk_session"]
    assert (await browser.api.get("/me")).status_code == 401


async def test_a_refused_browser_sign_in_deletes_the_binding_and_sets_no_session(
    e2e_env, fake_atproto, browser
):
    fake_atproto.add_account(BOB, "bob.test")  # no invite
    started = await browser.start(BOB)
    params = await browser.authorize(started.headers["location"])
    refused = await browser.api.get(
        "/auth/callback", params=params, headers={"sec-fetch-mode": "navigate"}
    )
    assert refused.status_code == 303
    cookies = _cookies(refused)
    assert set(cookies) == {"talk_oauth_binding"}
    assert "Max-Age=0" in cookies["talk_oauth_binding"]


async def test_a_session_works_until_exactly_its_expiry(e2e_env, fake_atproto, browser):
    await _invited(e2e_env, fake_atproto)
    assert (await browser.sign_in(BOB)).status_code == 303
    clock = await e2e_env.get(FakeClock)
    ttl = (await e2e_env.get(WebSessionPolicy)).ttl
    clock.advance(ttl - timedelta(seconds=1))
    assert (await browser.api.get("/me")).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = await browser.api.get("/me")
    assert expired.status_code == 401
    assert expired.json() == {"detail": "sign in first"}


async def test_a_deactivated_members_live_session_no_longer_signs_them_in(
    e2e_env, fake_atproto, browser
):
    await _invited(e2e_env, fake_atproto)
    assert (await browser.sign_in(BOB)).status_code == 303
    assert (await browser.api.get("/me")).status_code == 200
    await e2e_env.execute("UPDATE users SET is_active = false WHERE did = :did", did=BOB)
    refused = await browser.api.get("/me")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Cookie"
