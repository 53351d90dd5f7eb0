"""The page says why Bluesky refused to start a sign-in: the authorization server's
`error` and `error_description` (cleaned and bounded by the API) in its message."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import Screenshots
from tests.browser.flows import open_page
from tests.factories import BOB


async def test_the_page_shows_the_servers_reason(
    browser_env, fake_atproto, app_url, page: Page, screenshots: Screenshots
):
    fake_atproto.add_account(BOB, "bob.test")
    fake_atproto.par_refusal = lambda form: (
        "invalid_client_metadata",
        'Invalid client ID "http://127.0.0.1:8000/oauth-client-metadata.json"\x1b[2J',
    )

    await open_page(page, app_url)
    await page.get_by_label("Bluesky handle or DID").fill("bob.test")
    await page.get_by_role("button", name="Sign in with Bluesky").click()

    notice = page.locator("#notice")
    await expect(notice).to_have_text(
        "Could not start sign-in: the authorization server refused the request: "
        'invalid_client_metadata: Invalid client ID "http://127.0.0.1:8000/'
        'oauth-client-metadata.json" [2J'
    )
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-out")
    await screenshots.take(page, "refused-request")
