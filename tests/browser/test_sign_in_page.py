"""The whole round trip in headless Chromium: the page at `/`, the fake Bluesky's
consent page, the callback, and the API behind them, with a browser's cookie rules."""

from __future__ import annotations

import asyncio

from playwright.async_api import Page, Route, expect

from talk_backend.application.usecase.invites.create import CreateInvite
from tests.browser.conftest import NewContext, Screenshots
from tests.browser.flows import decide, open_page, row_counts, sign_in, to_consent
from tests.factories import ALICE, BOB, CAROL, seed_member

INVITE_MESSAGE = "You need an invite from a member"


async def invite(env, invitee: str) -> None:
    alice = await seed_member(env, ALICE, "alice.test")
    await (await env.get(CreateInvite)).execute(alice.id, invitee)


async def test_invited_person_signs_in_reloads_and_signs_out(
    browser_env, fake_atproto, app_url, page: Page, screenshots: Screenshots
):
    fake_atproto.add_account(BOB, "bob.test")
    await invite(browser_env, "bob.test")

    await to_consent(page, app_url, fake_atproto, "bob.test")
    await expect(page.locator("#account-handle")).to_have_text("@bob.test")
    await expect(page.locator("#account-did")).to_have_text(BOB)
    await screenshots.take(page, "consent")
    await decide(page, app_url, "Approve")

    await expect(page.locator("#who-handle")).to_have_text("@bob.test")
    await expect(page.locator("#who-did")).to_have_text(BOB)
    await page.reload()
    await expect(page.locator("#who-handle")).to_have_text("@bob.test")
    await screenshots.take(page, "signed-in")
    rows = await browser_env.fetch("SELECT status FROM invites")
    assert [r.status for r in rows] == ["accepted"]

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-out")
    await expect(page.locator("#notice")).to_have_text("You are signed out.")
    await screenshots.take(page, "signed-out")
    assert (await page.request.get(f"{app_url}/me")).status == 401
    assert await browser_env.fetch("SELECT 1 FROM web_sessions") == []
    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-out")


async def test_stranger_is_refused_with_the_invite_message_and_nothing_is_written(
    browser_env, fake_atproto, app_url, page: Page, screenshots: Screenshots
):
    fake_atproto.add_account(CAROL, "carol.test")
    await invite(browser_env, "bob.test")  # someone else's invite
    before = await row_counts(browser_env)

    await sign_in(page, app_url, fake_atproto, "carol.test")

    await expect(page.locator("#notice")).to_contain_text(INVITE_MESSAGE)
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-out")
    assert page.url == f"{app_url}/"  # the refusal code is not left in the address bar
    await screenshots.take(page, "refused")
    assert (await page.request.get(f"{app_url}/me")).status == 401
    after = await row_counts(browser_env)
    # Every table, the stranger's Bluesky tokens (bluesky_grants) included.
    assert {t: (before[t], after[t]) for t in before if before[t] != after[t]} == {}


async def test_denying_at_consent_comes_back_with_a_clear_message(
    browser_env, fake_atproto, app_url, page: Page, screenshots: Screenshots
):
    fake_atproto.add_account(BOB, "bob.test")
    await invite(browser_env, "bob.test")
    before = await row_counts(browser_env)

    await sign_in(page, app_url, fake_atproto, "bob.test", decision="Deny")

    await expect(page.locator("#notice")).to_contain_text("You declined the sign-in at Bluesky")
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-out")
    await screenshots.take(page, "declined")
    assert await row_counts(browser_env) == before
    rows = await browser_env.fetch("SELECT status FROM invites")
    assert [r.status for r in rows] == ["pending"]


async def test_session_cookie_is_invisible_to_scripts(
    browser_env, fake_atproto, app_url, page: Page, screenshots: Screenshots
):
    fake_atproto.add_account(ALICE, "alice.test")
    await seed_member(browser_env, ALICE, "alice.test")
    await sign_in(page, app_url, fake_atproto, "alice.test")
    await expect(page.locator("#who-handle")).to_have_text("@alice.test")

    cookies = {c["name"]: c for c in await page.context.cookies(app_url)}
    assert cookies["talk_session"]["httpOnly"] is True
    assert cookies["talk_session"]["sameSite"] == "Lax"
    seen_by_script = await page.evaluate("document.cookie")
    assert "talk_session" not in seen_by_script
    assert cookies["talk_session"]["value"] not in seen_by_script
    await screenshots.take(page, "signed-in")


async def test_form_on_another_origin_posting_to_invites_is_refused(
    browser_env, fake_atproto, app_url, page: Page, screenshots: Screenshots
):
    from tests.browser.other_origin import attacker_site

    fake_atproto.add_account(ALICE, "alice.test")
    await seed_member(browser_env, ALICE, "alice.test")
    await sign_in(page, app_url, fake_atproto, "alice.test")
    await expect(page.locator("#who-handle")).to_have_text("@alice.test")

    async with attacker_site(f"{app_url}/invites") as evil_url:
        assert evil_url.split(":")[-1] != app_url.split(":")[-1]  # another port: origin
        await page.goto(evil_url)
        async with page.expect_response(f"{app_url}/invites") as answer:
            await page.get_by_role("button", name="Win a prize").click()
        response = await answer.value
        sent = await response.request.all_headers()

    # The browser did send the session cookie (127.0.0.1 on another port is the same
    # site): the Origin check is what refuses it.
    assert "talk_session=" in sent.get("cookie", "")
    assert sent.get("origin") == evil_url.rstrip("/")
    assert response.status == 403
    await expect(page.locator("body")).to_contain_text("cross-origin request refused")
    await screenshots.take(page, "refused")
    assert await browser_env.fetch("SELECT 1 FROM invites") == []


async def test_callback_opened_in_another_browser_is_refused(
    browser_env, fake_atproto, app_url, page: Page, new_context: NewContext, screenshots
):
    fake_atproto.add_account(BOB, "bob.test")
    await invite(browser_env, "bob.test")
    callback: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def hold(route: Route) -> None:
        """Lets the approval reach the server but keeps its redirect (the callback
        URL, code and state) from this browser. Playwright routes only the first
        request of a redirect chain, so the callback itself cannot be routed."""
        if route.request.method != "POST":
            await route.continue_()
            return
        answer = await route.fetch(max_redirects=0)
        callback.set_result(answer.headers["location"])
        await route.fulfill(status=200, content_type="text/plain", body="held by the test")

    await page.route(f"{fake_atproto.base_url}/oauth/authorize", hold)
    await to_consent(page, app_url, fake_atproto, "bob.test")
    await page.get_by_role("button", name="Approve").click()
    callback_url = await asyncio.wait_for(callback, timeout=30)
    assert callback_url.startswith(f"{app_url}/auth/callback?")
    assert "code=" in callback_url and "state=" in callback_url

    other = await (await new_context()).new_page()
    await other.goto(callback_url)
    await other.wait_for_url(f"{app_url}/")
    await expect(other.locator("#notice")).to_contain_text("started in another browser")
    await expect(other.locator("body")).to_have_attribute("data-state", "signed-out")
    await screenshots.take(other, "other-browser-refused")
    assert (await other.request.get(f"{app_url}/me")).status == 401
    assert await browser_env.fetch("SELECT 1 FROM users WHERE did = :d", d=BOB) == []
    assert await browser_env.fetch("SELECT 1 FROM web_sessions") == []


async def test_member_creates_and_revokes_an_invite_from_the_page(
    browser_env, fake_atproto, app_url, page: Page, screenshots: Screenshots
):
    fake_atproto.add_account(ALICE, "alice.test")
    await seed_member(browser_env, ALICE, "alice.test")
    await sign_in(page, app_url, fake_atproto, "alice.test")
    await expect(page.locator("#no-invites")).to_be_visible()

    await page.get_by_label("Invite someone by handle or DID").fill("not a handle!")
    await page.get_by_role("button", name="Create invite").click()
    await expect(page.locator("#notice")).to_contain_text("not a valid handle")

    await page.get_by_label("Invite someone by handle or DID").fill("dave.test")
    await page.get_by_role("button", name="Create invite").click()
    row = page.locator('#invites tr[data-invitee="dave.test"]')
    await expect(row).to_have_attribute("data-status", "pending")
    await expect(page.locator("#notice")).to_have_text("Invite created for dave.test.")
    await screenshots.take(page, "created")
    rows = await browser_env.fetch("SELECT invitee_handle, status FROM invites")
    assert [(r.invitee_handle, r.status) for r in rows] == [("dave.test", "pending")]

    await row.get_by_role("button", name="Revoke").click()
    await expect(row).to_have_attribute("data-status", "revoked")
    await expect(row.get_by_role("button", name="Revoke")).to_have_count(0)
    await screenshots.take(page, "revoked")
    rows = await browser_env.fetch("SELECT status FROM invites")
    assert [r.status for r in rows] == ["revoked"]
    await page.reload()
    await expect(page.locator('#invites tr[data-invitee="dave.test"]')).to_have_attribute(
        "data-status", "revoked"
    )


async def test_consent_decision_from_another_browser_is_refused(
    browser_env, fake_atproto, app_url, page: Page, new_context: NewContext, screenshots
):
    """The fake is as strict as a real authorization server about the approve POST."""
    fake_atproto.add_account(BOB, "bob.test")
    await invite(browser_env, "bob.test")
    await to_consent(page, app_url, fake_atproto, "bob.test")
    fields = {
        name: await page.locator(f'input[name="{name}"]').get_attribute("value") or ""
        for name in ("request_uri", "csrf_token")
    }

    other = await new_context()
    stolen = await other.request.post(
        f"{fake_atproto.base_url}/oauth/authorize", form={**fields, "decision": "approve"}
    )
    assert stolen.status == 403 and "another browser" in await stolen.text()
    forged = await page.context.request.post(
        f"{fake_atproto.base_url}/oauth/authorize",
        form={**fields, "csrf_token": "forged", "decision": "approve"},
    )
    assert forged.status == 403 and "CSRF" in await forged.text()
    cross_origin = await page.context.request.post(
        f"{fake_atproto.base_url}/oauth/authorize",
        form={**fields, "decision": "approve"},
        headers={"Origin": "http://127.0.0.1:9"},
    )
    assert cross_origin.status == 403 and "cross-origin" in await cross_origin.text()

    await decide(page, app_url, "Approve")  # the real page still works
    await expect(page.locator("#who-handle")).to_have_text("@bob.test")
    await screenshots.take(page, "approved-after-forgeries")


async def test_page_serves_its_own_assets_only(app_url, page: Page, screenshots):
    await open_page(page, app_url)
    await expect(page.get_by_role("button", name="Sign in with Bluesky")).to_be_visible()
    await screenshots.take(page, "signed-out")
    assert (await page.request.get(f"{app_url}/page/index.html")).status == 404
    assert (await page.request.get(f"{app_url}/page/..%2Fpages.py")).status == 404
    headers = (await page.request.get(f"{app_url}/")).headers
    assert "script-src 'self'" in headers["content-security-policy"]
