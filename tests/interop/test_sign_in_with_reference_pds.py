"""Sign in with Bluesky against the reference implementation: @atproto/pds (with its
bundled @atproto/oauth-provider) and @did-plc/server on 127.0.0.1, through the PDS's
own pages in headless Chromium, with the real app on a PostgreSQL from the harness.

What the PDS itself holds (its grants, its spent refresh tokens) is read from its own
database: a grant the app forgot but the PDS still honours is the failure to catch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Screenshots
from tests.browser.flows import row_counts
from tests.harness import Env
from tests.interop.conftest import CONFIDENTIAL, LOOPBACK, NewContext
from tests.interop.flows import (
    decide,
    enter_password,
    expect_signed_in,
    page_post,
    sign_in,
    to_entryway,
    to_pds,
)
from tests.interop.servers import (
    CLIENT_HOST,
    Account,
    ReferenceServers,
    get_session_status,
    live_grants,
    spent_refresh_tokens,
)

NewAccount = Callable[[str], Account]
INVITE_MESSAGE = "You need an invite from a member"
both_clients = pytest.mark.parametrize("client_kind", [LOOPBACK, CONFIDENTIAL], indirect=True)


async def stored_grant(env: Env, did: str) -> dict[str, object]:
    rows = await env.fetch(
        "SELECT issuer, pds_url, scope, access_token, refresh_token, dpop_private_jwk,"
        " expires_at FROM bluesky_grants WHERE did = :did",
        did=did,
    )
    assert len(rows) == 1, f"expected one stored grant for {did}, found {len(rows)}"
    return dict(rows[0]._mapping)


@both_clients
async def test_member_signs_in_and_the_stored_grant_is_accepted_by_the_pds(
    interop_env: Env,
    reference_servers: ReferenceServers,
    member: Account,
    app_url: str,
    client_kind: str,
    page: Page,
    screenshots: Screenshots,
):
    alice = member

    await to_pds(page, app_url, reference_servers, alice.handle)
    await enter_password(page, alice, prefilled=True)
    await screenshots.take(page, "pds-consent")
    await decide(page, app_url, alice, "Authorize")
    await expect_signed_in(page, alice)
    await screenshots.take(page, "signed-in")

    grant = await stored_grant(interop_env, alice.did)
    assert grant["issuer"] == reference_servers.pds_url
    assert grant["pds_url"] == reference_servers.pds_url
    assert "atproto" in str(grant["scope"]).split()
    status = get_session_status(
        reference_servers.pds_url, str(grant["access_token"]), str(grant["dpop_private_jwk"])
    )
    assert status == 200
    # The PDS saw the client this test meant: its grant names the client and how it
    # authenticated (a confidential client signs a JWT with its own key).
    [pds_grant] = live_grants(reference_servers, alice.did)
    if client_kind == CONFIDENTIAL:
        port = app_url.rsplit(":", 1)[1]
        assert pds_grant.client_id == f"https://{CLIENT_HOST}:{port}/oauth-client-metadata.json"
        assert "private_key_jwt" in pds_grant.client_auth
    else:
        assert pds_grant.client_id.startswith("http://localhost?")
        assert "private_key_jwt" not in pds_grant.client_auth


async def test_member_invites_by_handle_and_the_invitee_signs_in(
    interop_env: Env,
    reference_servers: ReferenceServers,
    new_account: NewAccount,
    member: Account,
    app_url: str,
    new_context: NewContext,
    page: Page,
    screenshots: Screenshots,
):
    alice, bob = member, new_account("bob")
    await sign_in(page, app_url, reference_servers, alice)
    await page.get_by_label("Invite someone by handle or DID").fill(bob.handle)
    await page.get_by_role("button", name="Create invite").click()
    await expect(page.locator("#notice")).to_have_text(f"Invite created for {bob.handle}.")

    bobs_page = await (await new_context()).new_page()
    await sign_in(bobs_page, app_url, reference_servers, bob)
    await expect_signed_in(bobs_page, bob)
    await screenshots.take(bobs_page, "invitee-signed-in")
    invites = await interop_env.fetch("SELECT status FROM invites")
    assert [row.status for row in invites] == ["accepted"]
    members = await interop_env.fetch("SELECT did FROM users ORDER BY did")
    assert sorted(row.did for row in members) == sorted([alice.did, bob.did])


async def test_stranger_is_refused_nothing_is_written_and_the_pds_grant_is_revoked(
    interop_env: Env,
    reference_servers: ReferenceServers,
    new_account: NewAccount,
    member: Account,
    app_url: str,
    page: Page,
    screenshots: Screenshots,
):
    carol = new_account("carol")  # no invite; a member exists (the fixture)
    before = await row_counts(interop_env)

    await sign_in(page, app_url, reference_servers, carol)
    await expect(page.locator("#notice")).to_contain_text(INVITE_MESSAGE)
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-out")
    await screenshots.take(page, "refused")

    assert await row_counts(interop_env) == before
    # The PDS issued tokens before the app could know Carol was a stranger; they were
    # revoked, so nothing of hers stays usable there.
    assert live_grants(reference_servers, carol.did) == []


async def test_denying_at_the_pds_comes_back_with_a_clear_message_and_no_grant(
    interop_env: Env,
    reference_servers: ReferenceServers,
    member: Account,
    app_url: str,
    page: Page,
    screenshots: Screenshots,
):
    alice = member
    before = await row_counts(interop_env)

    await sign_in(page, app_url, reference_servers, alice, decision="Deny access")
    await expect(page.locator("#notice")).to_contain_text("You declined the sign-in at Bluesky")
    await screenshots.take(page, "denied")
    assert await row_counts(interop_env) == before
    assert live_grants(reference_servers, alice.did) == []


async def test_sign_in_without_an_account_picks_it_at_the_pds_entryway(
    reference_servers: ReferenceServers,
    member: Account,
    app_url: str,
    page: Page,
    screenshots: Screenshots,
):
    alice = member

    await to_entryway(page, app_url, reference_servers)
    await expect(page.get_by_text("Please authenticate to continue")).to_be_visible()
    await screenshots.take(page, "entryway")
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await enter_password(page, alice, prefilled=False)
    await decide(page, app_url, alice, "Authorize")
    await expect_signed_in(page, alice)


async def test_sign_in_by_did_resolves_through_the_plc_directory(
    reference_servers: ReferenceServers,
    member: Account,
    app_url: str,
    page: Page,
    screenshots: Screenshots,
):
    alice = member

    await to_pds(page, app_url, reference_servers, alice.did)
    await enter_password(page, alice, prefilled=True)
    await decide(page, app_url, alice, "Authorize")
    await expect_signed_in(page, alice)
    await screenshots.take(page, "signed-in-by-did")


@both_clients
async def test_refresh_rotates_the_tokens_at_the_pds_token_endpoint(
    interop_env: Env,
    reference_servers: ReferenceServers,
    member: Account,
    app_url: str,
    page: Page,
    screenshots: Screenshots,
):
    alice = member
    await sign_in(page, app_url, reference_servers, alice)
    await screenshots.take(page, "signed-in")
    before = await stored_grant(interop_env, alice.did)
    # Due now: the next look at the grant refreshes it first.
    await interop_env.execute(
        "UPDATE bluesky_grants SET expires_at = :now WHERE did = :did",
        now=datetime.now(UTC),
        did=alice.did,
    )

    status, body = await page_post(page, "/me/bluesky-grant/refresh")
    assert status == 200, body
    after = await stored_grant(interop_env, alice.did)
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]
    assert after["expires_at"] > datetime.now(UTC)  # type: ignore[operator]
    # The PDS rotated them itself: the old refresh token is spent there, the new one
    # is the grant's current one, and the new access token is accepted.
    assert before["refresh_token"] in spent_refresh_tokens(reference_servers)
    [pds_grant] = live_grants(reference_servers, alice.did)
    assert pds_grant.current_refresh_token == after["refresh_token"]
    new_status = get_session_status(
        reference_servers.pds_url, str(after["access_token"]), str(after["dpop_private_jwk"])
    )
    assert new_status == 200


async def test_after_sign_out_the_pds_no_longer_accepts_the_grant(
    interop_env: Env,
    reference_servers: ReferenceServers,
    member: Account,
    app_url: str,
    page: Page,
    screenshots: Screenshots,
):
    alice = member
    await sign_in(page, app_url, reference_servers, alice)
    grant = await stored_grant(interop_env, alice.did)
    token, key = str(grant["access_token"]), str(grant["dpop_private_jwk"])
    assert get_session_status(reference_servers.pds_url, token, key) == 200

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.locator("body")).to_have_attribute("data-state", "signed-out")
    await screenshots.take(page, "signed-out")

    assert get_session_status(reference_servers.pds_url, token, key) == 401
    assert live_grants(reference_servers, alice.did) == []
    assert await interop_env.fetch("SELECT 1 FROM bluesky_grants") == []


async def test_signing_in_again_revokes_the_members_earlier_grant_at_the_pds(
    interop_env: Env,
    reference_servers: ReferenceServers,
    member: Account,
    app_url: str,
    new_context: NewContext,
    page: Page,
    screenshots: Screenshots,
):
    alice = member
    await sign_in(page, app_url, reference_servers, alice)
    first = await stored_grant(interop_env, alice.did)

    # Another browser of hers (a second device): a second grant replaces the first.
    other = await (await new_context()).new_page()
    await sign_in(other, app_url, reference_servers, alice)
    await expect_signed_in(other, alice)
    await screenshots.take(other, "second-device")

    assert len(live_grants(reference_servers, alice.did)) == 1
    old_status = get_session_status(
        reference_servers.pds_url, str(first["access_token"]), str(first["dpop_private_jwk"])
    )
    assert old_status == 401
