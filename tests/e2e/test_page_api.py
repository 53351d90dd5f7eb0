"""What the page at `/` relies on, over real HTTP: the JSON answer to a sign-in that asks
for it, a browser sent back to the page when sign-in is refused, and the page itself."""

from __future__ import annotations

import pytest

from talk_backend.application.usecase.invites.create import CreateInvite
from tests.factories import ALICE, BOB, CAROL, seed_member

NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Accept": "text/html,*/*;q=0.8"}


async def test_sign_in_asking_for_json_gets_the_url_without_a_redirect(fake_atproto, browser):
    fake_atproto.add_account(BOB, "bob.test")

    started = await browser.api.post(
        "/auth/sign-in", json={"account": "bob.test"}, headers={"Accept": "application/json"}
    )

    assert started.status_code == 200 and "location" not in started.headers
    assert started.json()["authorization_url"].startswith(f"{fake_atproto.base_url}/oauth/")
    assert "talk_oauth_binding" in started.cookies


# A navigation is told by Fetch Metadata, or by Accept where a browser sends none.
@pytest.mark.parametrize(
    "headers",
    [
        NAVIGATION,
        {"Accept": "text/html,*/*;q=0.8"},
        {"Sec-Fetch-Mode": "navigate", "Accept": "*/*"},
    ],
    ids=["fetch-metadata-and-accept", "accept-only", "fetch-metadata-only"],
)
async def test_refused_browser_is_sent_back_to_the_page_with_a_code(
    e2e_env, fake_atproto, browser, headers
):
    fake_atproto.add_account(CAROL, "carol.test")
    await seed_member(e2e_env, ALICE)
    started = await browser.start("carol.test")
    params = await browser.authorize(started.headers["location"])

    refused = await browser.api.get("/auth/callback", params=params, headers=headers)

    assert refused.status_code == 303
    assert refused.headers["location"] == "/?sign_in_error=invite"
    assert await e2e_env.fetch("SELECT 1 FROM users WHERE did = :d", d=CAROL) == []


@pytest.mark.parametrize(
    ("error", "code"), [("access_denied", "declined"), ("server_error", "failed")]
)
async def test_authorization_errors_become_page_codes(e2e_env, fake_atproto, browser, error, code):
    fake_atproto.add_account(BOB, "bob.test")
    inviter = await seed_member(e2e_env, ALICE)
    await (await e2e_env.get(CreateInvite)).execute(inviter.id, BOB)
    started = await browser.start(BOB)
    params = await browser.authorize(started.headers["location"])
    answer = {"state": params["state"], "iss": params["iss"], "error": error}

    refused = await browser.api.get("/auth/callback", params=answer, headers=NAVIGATION)

    assert refused.headers["location"] == f"/?sign_in_error={code}"
    assert await e2e_env.fetch("SELECT 1 FROM users WHERE did = :d", d=BOB) == []


async def test_a_client_sending_no_accept_header_gets_the_json_error(browser):
    request = browser.api.build_request(
        "GET", "/auth/callback", params={"state": "x" * 43, "code": "c"}
    )
    del request.headers["accept"]
    answer = await browser.api.send(request)
    assert answer.status_code == 400
    assert answer.json()["detail"] == "unknown or already used sign-in state"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Sec-Fetch-Mode": "cors", "Accept": "application/json"}],
    ids=["no-headers", "fetch-from-a-script"],
)
async def test_api_clients_keep_the_json_error(browser, headers):
    answer = await browser.api.get(
        "/auth/callback", params={"state": "x" * 43, "code": "c"}, headers=headers
    )
    assert answer.status_code == 400
    assert answer.json()["detail"] == "unknown or already used sign-in state"


async def test_the_page_and_its_assets(api):
    page = await api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Sign in with Bluesky" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert (await api.get("/page/page.js")).headers["content-type"].startswith("text/javascript")
    assert (await api.get("/page/page.css")).status_code == 200
    assert (await api.get("/page/nothing.js")).status_code == 404
    assert "/" not in (await api.get("/openapi.json")).json()["paths"]
