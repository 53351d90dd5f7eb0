"""What a person does on the page, step by step, and what the database holds."""

from __future__ import annotations

from typing import Literal

from playwright.async_api import Page, expect

from talk_backend.devtools.fake_atproto import FakeAtproto
from tests.harness import Env


async def open_page(page: Page, app_url: str) -> None:
    await page.goto(f"{app_url}/")
    await expect(page.locator("body")).not_to_have_attribute("data-state", "loading")


async def to_consent(page: Page, app_url: str, fake: FakeAtproto, account: str) -> None:
    """From the page to the authorization server's consent page."""
    await open_page(page, app_url)
    await page.get_by_label("Bluesky handle or DID").fill(account)
    await page.get_by_role("button", name="Sign in with Bluesky").click()
    await page.wait_for_url(f"{fake.base_url}/oauth/authorize?**")


async def decide(page: Page, app_url: str, decision: Literal["Approve", "Deny"]) -> None:
    """Clicks at the consent page and waits until the browser is back on the page."""
    await page.get_by_role("button", name=decision).click()
    await page.wait_for_url(f"{app_url}/")
    await expect(page.locator("body")).not_to_have_attribute("data-state", "loading")


async def sign_in(
    page: Page,
    app_url: str,
    fake: FakeAtproto,
    account: str,
    decision: Literal["Approve", "Deny"] = "Approve",
) -> None:
    await to_consent(page, app_url, fake, account)
    await decide(page, app_url, decision)


async def row_counts(env: Env) -> dict[str, int]:
    """Rows in every table of the schema (alembic's own included)."""
    tables = await env.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    counts = {}
    for (name,) in tables:
        rows = await env.fetch(f'SELECT count(*) FROM "{name}"')
        counts[name] = rows[0][0]
    assert counts, "no tables found: the schema is missing"
    return counts
