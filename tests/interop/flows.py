"""What a person does: on the app's page, then on the reference PDS's own sign-in and
consent pages (its web app, as served by @atproto/oauth-provider)."""

from __future__ import annotations

from typing import Literal

from playwright.async_api import Page, expect

from tests.browser.flows import open_page
from tests.interop.servers import Account, ReferenceServers

Decision = Literal["Authorize", "Deny access"]


async def to_pds(page: Page, app_url: str, servers: ReferenceServers, account: str) -> None:
    """From the app's page to the PDS's authorization page, naming the account."""
    await open_page(page, app_url)
    await page.get_by_label("Bluesky handle or DID").fill(account)
    await page.get_by_role("button", name="Sign in with Bluesky").click()
    await page.wait_for_url(f"{servers.pds_url}/oauth/authorize?**")


async def to_entryway(page: Page, app_url: str, servers: ReferenceServers) -> None:
    """Sign-in without naming an account, as the API offers it (POST /auth/sign-in with
    no account): the browser goes to the entryway's (here the PDS's) authorization page."""
    await open_page(page, app_url)
    status, body = await page.evaluate(
        """async () => {
            const r = await fetch('/auth/sign-in', {
                method: 'POST',
                headers: {'Content-Type': 'application/json', 'Accept': 'application/json'},
                body: '{}',
            })
            return [r.status, await r.json()]
        }"""
    )
    assert status == 200, body
    await page.goto(body["authorization_url"])
    await page.wait_for_url(f"{servers.pds_url}/oauth/authorize?**")


async def enter_password(page: Page, account: Account, *, prefilled: bool) -> None:
    """The PDS's sign-in form. With a login_hint the username is filled in already."""
    username = page.get_by_placeholder("yourname.test")
    if prefilled:
        await expect(username).to_have_value(account.handle)
    else:
        await username.fill(account.handle)
    await page.get_by_placeholder("Enter your password").fill(account.password)
    await page.get_by_role("button", name="Sign in", exact=True).click()


async def decide(page: Page, app_url: str, account: Account, decision: Decision) -> None:
    """The PDS's consent page names the account; the decision sends the browser back."""
    await expect(page.get_by_role("button", name="Authorize", exact=True)).to_be_visible()
    await expect(page.locator("body")).to_contain_text(account.handle)
    await page.get_by_role("button", name=decision, exact=True).click()
    await page.wait_for_url(f"{app_url}/")
    await expect(page.locator("body")).not_to_have_attribute("data-state", "loading")


async def sign_in(
    page: Page,
    app_url: str,
    servers: ReferenceServers,
    account: Account,
    *,
    typed: str | None = None,
    decision: Decision = "Authorize",
) -> None:
    """The whole round trip; `typed` is what the person types (the handle by default)."""
    await to_pds(page, app_url, servers, typed or account.handle)
    await enter_password(page, account, prefilled=True)
    await decide(page, app_url, account, decision)


async def expect_signed_in(page: Page, account: Account) -> None:
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-in")
    await expect(page.locator("#who-handle")).to_have_text(f"@{account.handle}")
    await expect(page.locator("#who-did")).to_have_text(account.did)


async def page_post(page: Page, path: str) -> tuple[int, object]:
    """A POST without a body from the page's own scripts (its cookies, its origin).
    Playwright's page.request would resolve names itself, past Chromium's host rules."""
    status, body = await page.evaluate(
        """async (path) => {
            const r = await fetch(path, {method: 'POST', headers: {'Accept': 'application/json'}})
            return [r.status, await r.json()]
        }""",
        path,
    )
    return int(status), body
