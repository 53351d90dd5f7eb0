"""Sign-in over real HTTP: the real atproto OAuth client against the fake server."""

from __future__ import annotations

import pytest

from talk_backend.application.usecase.invites.create import CreateInvite
from tests.factories import ALICE, BOB, CAROL, seed_member
from tests.fakes.clock import FakeClock


async def invite(env, inviter_did: str, invitee: str):
    inviter = await seed_member(env, inviter_did, "alice.test")
    return await (await env.get(CreateInvite)).execute(inviter.id, invitee)


async def test_invited_user_signs_in_and_invite_is_accepted(e2e_env, fake_atproto, browser):
    fake_atproto.add_account(BOB, "bob.test")
    sent = await invite(e2e_env, ALICE, "bob.test")

    done = await browser.sign_in("bob.test")

    assert done.status_code == 303 and done.headers["location"] == "/"
    set_cookie = done.headers.get_list("set-cookie")
    session = next(c for c in set_cookie if c.startswith("talk_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
    me = await browser.api.get("/me")
    assert me.status_code == 200
    assert me.json()["did"] == BOB and me.json()["handle"] == "bob.test"
    rows = await e2e_env.fetch("SELECT status, accepted_by FROM invites WHERE id = :id", id=sent.id)
    assert rows[0].status == "accepted" and str(rows[0].accepted_by) == me.json()["id"]
    assert fake_atproto.nonce_challenges >= 1  # PAR met use_dpop_nonce and retried


async def test_tokens_and_keys_stay_server_side(e2e_env, fake_atproto, browser):
    fake_atproto.add_account(BOB, "bob.test")
    await invite(e2e_env, ALICE, BOB)
    done = await browser.sign_in(BOB)
    stored = await e2e_env.fetch("SELECT access_token, dpop_private_jwk FROM bluesky_grants")
    assert len(stored) == 1
    cookies = " ".join(done.headers.get_list("set-cookie"))
    assert stored[0].access_token not in cookies and '"d"' in stored[0].dpop_private_jwk
    assert await e2e_env.fetch("SELECT 1 FROM oauth_auth_requests") == []


async def test_without_invite_403_and_nothing_written(e2e_env, fake_atproto, browser):
    fake_atproto.add_account(BOB, "bob.test")
    await seed_member(e2e_env, ALICE)
    before = await e2e_env.fetch("SELECT id FROM users ORDER BY id")

    done = await browser.sign_in("bob.test")

    assert done.status_code == 403
    assert "no valid invite" in done.json()["detail"]
    assert await e2e_env.fetch("SELECT id FROM users ORDER BY id") == before
    assert await e2e_env.fetch("SELECT 1 FROM web_sessions") == []
    assert (await browser.api.get("/me")).status_code == 401


async def test_expired_invite_is_refused(e2e_env, fake_atproto, browser):
    clock = await e2e_env.get(FakeClock)
    fake_atproto.add_account(BOB, "bob.test")
    await invite(e2e_env, ALICE, BOB)
    clock.advance(__import__("datetime").timedelta(days=31))

    done = await browser.sign_in(BOB)

    assert done.status_code == 403
    assert await e2e_env.fetch("SELECT 1 FROM users WHERE did = :d", d=BOB) == []


async def test_wrong_state_is_refused(fake_atproto, browser, e2e_env):
    fake_atproto.add_account(BOB, "bob.test")
    await invite(e2e_env, ALICE, BOB)
    started = await browser.start(BOB)
    params = await browser.authorize(started.headers["location"])

    done = await browser.callback({**params, "state": "forged-state"})

    assert done.status_code == 400
    assert "state" in done.json()["detail"]


async def test_replayed_state_is_refused(fake_atproto, browser, e2e_env):
    fake_atproto.add_account(BOB, "bob.test")
    await invite(e2e_env, ALICE, BOB)
    started = await browser.start(BOB)
    params = await browser.authorize(started.headers["location"])
    assert (await browser.callback(params)).status_code == 303
    browser.api.cookies.set("talk_oauth_binding", "x", path="/auth")

    again = await browser.callback(params)

    assert again.status_code == 400
    assert "already used" in again.json()["detail"]


async def test_state_from_another_browser_is_refused(fake_atproto, browser, e2e_env, api):
    fake_atproto.add_account(BOB, "bob.test")
    await invite(e2e_env, ALICE, BOB)
    started = await browser.start(BOB)
    params = await browser.authorize(started.headers["location"])
    browser.api.cookies.clear()

    done = await browser.callback(params)

    assert done.status_code == 400
    assert "another browser" in done.json()["detail"]


@pytest.mark.parametrize(
    ("switch", "value", "status", "reason"),
    [
        # What the browser brought back does not fit: a 400.
        ("callback_iss", "https://evil.example.com", 400, "unexpected issuer"),
        # The token response is wrong: the server misbehaved, a 502 naming the fault.
        ("token_sub", CAROL, 502, "different account"),  # the sub does not match
        ("token_scope", "transition:generic", 502, "atproto"),  # a scope without atproto
    ],
)
async def test_a_misbehaving_authorization_server_is_refused(
    fake_atproto, browser, e2e_env, switch, value, status, reason
):
    fake_atproto.add_account(BOB, "bob.test")
    await invite(e2e_env, ALICE, BOB)
    setattr(fake_atproto, switch, value)

    done = await browser.sign_in(BOB)

    assert done.status_code == status
    assert reason in done.json()["detail"]
    assert await e2e_env.fetch("SELECT 1 FROM bluesky_grants") == []
    assert await e2e_env.fetch("SELECT 1 FROM users WHERE did IN (:b, :c)", b=BOB, c=CAROL) == []


async def test_handle_not_verified_both_ways_is_not_trusted(fake_atproto, browser, e2e_env):
    # Bob's document claims bob.test, but bob.test resolves to Carol.
    fake_atproto.add_account(BOB, "bob.test", handle_points_to=CAROL)
    await invite(e2e_env, ALICE, "bob.test")

    done = await browser.sign_in(BOB)

    assert done.status_code == 403  # the handle invite does not name an unverified handle
    start_by_handle = await browser.start("bob.test")
    assert start_by_handle.status_code == 400


async def test_a_member_invited_by_did_signs_in_without_an_unverified_handle(
    fake_atproto, browser, e2e_env
):
    fake_atproto.add_account(BOB, "bob.test", handle_points_to=CAROL)
    await invite(e2e_env, ALICE, BOB)

    assert (await browser.sign_in(BOB)).status_code == 303

    me = (await browser.api.get("/me")).json()
    assert (me["did"], me["handle"]) == (BOB, None)


async def test_dpop_nonce_rotation_is_followed(fake_atproto, browser, e2e_env):
    fake_atproto.add_account(BOB, "bob.test")
    await invite(e2e_env, ALICE, BOB)
    started = await browser.start(BOB)
    params = await browser.authorize(started.headers["location"])
    challenges = fake_atproto.nonce_challenges
    fake_atproto.rotate_nonce()

    done = await browser.callback(params)

    assert done.status_code == 303
    assert fake_atproto.nonce_challenges == challenges + 1


async def test_sign_out_ends_the_session(fake_atproto, browser, e2e_env):
    fake_atproto.add_account(BOB, "bob.test")
    await invite(e2e_env, ALICE, BOB)
    await browser.sign_in(BOB)

    out = await browser.api.post("/auth/sign-out")

    assert out.status_code == 204
    assert (await browser.api.get("/me")).status_code == 401
    assert await e2e_env.fetch("SELECT 1 FROM web_sessions") == []


async def test_sign_in_without_an_account_starts_at_the_entryway(e2e_env, fake_atproto, browser):
    # ATPROTO_PDS_URL is the fake; nobody names an account, the person picks Bob there.
    fake_atproto.add_account(BOB, "bob.test")
    fake_atproto.chosen_account = BOB
    await invite(e2e_env, ALICE, "bob.test")

    started = await browser.start(None)
    assert started.status_code == 303, started.text
    assert started.headers["location"].startswith(f"{fake_atproto.base_url}/oauth/authorize?")
    par = next(iter(fake_atproto.grants.pars.values()))
    assert "login_hint" not in par.params  # the client named nobody
    done = await browser.callback(await browser.authorize(started.headers["location"]))

    assert done.status_code == 303 and done.headers["location"] == "/", done.text
    me = (await browser.api.get("/me")).json()
    assert me["did"] == BOB and me["handle"] == "bob.test"
    stored = await e2e_env.fetch("SELECT did, pds_url FROM bluesky_grants")
    assert [(r.did, r.pds_url) for r in stored] == [(BOB, fake_atproto.base_url)]


async def test_entryway_sign_in_refused_when_the_accounts_pds_trusts_another_server(
    e2e_env, fake_atproto, browser
):
    fake_atproto.add_account(BOB, "bob.test")
    fake_atproto.chosen_account = BOB
    await invite(e2e_env, ALICE, "bob.test")
    started = await browser.start(None)
    params = await browser.authorize(started.headers["location"])
    # Bob's PDS now names a different authorization server than the one that vouched.
    fake_atproto.protected_resource_server = "http://127.0.0.1:9"

    done = await browser.callback(params)

    assert done.status_code in (400, 401, 403, 502), done.text
    assert done.json()["detail"] == (
        "the account's PDS does not trust the server that vouched for it"
    )
    assert await e2e_env.fetch("SELECT 1 FROM users WHERE did = :did", did=BOB) == []


async def test_entryway_sign_in_refused_when_the_server_names_no_account(
    e2e_env, fake_atproto, browser
):
    """The token answer's `sub` is the only word on who signed in at the entryway: a
    handle there is no account, and the tokens it came with are revoked."""
    fake_atproto.add_account(BOB, "bob.test")
    fake_atproto.chosen_account = BOB
    await invite(e2e_env, ALICE, "bob.test")
    started = await browser.start(None)
    params = await browser.authorize(started.headers["location"])
    fake_atproto.token_sub = "bob.test"

    done = await browser.callback(params)

    assert done.status_code in (400, 401, 403, 502), done.text
    assert done.json()["detail"] == "the authorization server named no account"
    assert (await browser.api.get("/me")).status_code == 401
    assert fake_atproto.grants.revoked_grants == 1


async def test_entryway_where_nobody_is_picked_is_a_refusal(e2e_env, fake_atproto, browser):
    await seed_member(e2e_env, ALICE)
    started = await browser.start(None)
    assert started.status_code == 303, started.text
    done = await browser.callback(await browser.authorize(started.headers["location"]))
    assert done.status_code in (400, 401, 403), done.text
    assert (await browser.api.get("/me")).status_code == 401


async def test_an_unknown_did_is_the_persons_mistake_not_an_outage(browser):
    """The PLC directory answers 404 for a DID it does not know: a 400 naming the DID,
    where any other 4xx of a Bluesky server (metadata missing) is a 502."""
    answer = await browser.api.post("/auth/sign-in", json={"account": CAROL})
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith(f"no DID document for {CAROL}")
