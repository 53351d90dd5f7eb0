"""Invites over the API by a signed-in member; refused without a session."""

from __future__ import annotations

import uuid

import httpx
import pytest
import pytest_asyncio

from tests.e2e.browser import Browser
from tests.factories import ALICE, BOB, CAROL


@pytest_asyncio.fixture(loop_scope="session")
async def alice(e2e_env, fake_atproto, browser):
    return await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")


async def test_member_creates_lists_and_revokes(alice):
    created = await alice.post("/invites", json={"invitee": "bob.test"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["invitee"] == "bob.test" and body["status"] == "pending"

    listed = await alice.get("/invites")
    assert [i["id"] for i in listed.json()] == [body["id"]]

    revoked = await alice.delete(f"/invites/{body['id']}")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    again = await alice.delete(f"/invites/{body['id']}")
    assert again.status_code == 409


async def test_invited_person_signs_in_through_api_invite(alice, fake_atproto, api):
    fake_atproto.add_account(BOB, "bob.test")
    await alice.post("/invites", json={"invitee": BOB})
    async with httpx.AsyncClient(base_url=api.base_url) as bobs_browser:
        done = await Browser(bobs_browser).sign_in(BOB)
        assert done.status_code == 303
        assert (await bobs_browser.get("/me")).json()["did"] == BOB
    listed = await alice.get("/invites")
    assert listed.json()[0]["status"] == "accepted"


async def test_without_session_invites_are_refused(api):
    assert (await api.get("/invites")).status_code == 401
    assert (await api.post("/invites", json={"invitee": CAROL})).status_code == 401
    assert (await api.delete(f"/invites/{uuid.uuid4()}")).status_code == 401


async def test_cross_origin_post_is_refused(alice):
    refused = await alice.post(
        "/invites", json={"invitee": CAROL}, headers={"Origin": "https://evil.example.com"}
    )
    assert refused.status_code == 403
    cross_site = await alice.post(
        "/invites", json={"invitee": CAROL}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross_site.status_code == 403


@pytest.mark.parametrize(
    ("path", "payload", "needle"),
    [
        ("/invites", {"invitee": "did:key:zzz"}, "did:plc and did:web"),
        ("/invites", {"invitee": "not a handle!"}, "not a valid handle"),
        ("/invites", {"invitee": "x.localhost"}, "reserved"),
        ("/invites", {"invitee": BOB, "expires_at": "2020-01-01T00:00:00Z"}, "future"),
        ("/invites", {"invitee": BOB, "expires_at": "2030-01-01T00:00:00"}, "timezone"),
        ("/invites", {"nobody": 1}, "invitee"),
    ],
)
async def test_bad_input_gets_a_clear_4xx(alice, path, payload, needle):
    answer = await alice.post(path, json=payload)
    assert 400 <= answer.status_code < 500
    assert needle in answer.text


async def test_bad_ids_and_accounts_get_4xx(alice, api):
    assert (await alice.delete("/invites/not-a-uuid")).status_code == 422
    assert (await alice.delete(f"/invites/{uuid.uuid4()}")).status_code == 404
    assert (await api.post("/auth/sign-in", json={"account": "did:web:.."})).status_code == 422
    json_type = {"Content-Type": "application/json"}
    assert (await api.post("/auth/sign-in", content=b"{not", headers=json_type)).status_code == 422
    # Without a Content-Type the body is not taken for JSON (docs/api.md).
    assert (await api.post("/auth/sign-in", content=b"{not json")).status_code == 415
    unknown = await api.post("/auth/sign-in", json={"account": "nobody.test"})
    assert unknown.status_code == 400 and "does not resolve" in unknown.text
    # The schema requires a state (an authorization server always sends one back).
    assert (await api.get("/auth/callback")).status_code == 422
    assert (await api.get("/auth/callback?state=never-issued-state")).status_code == 400


async def test_health_metadata_and_openapi(api):
    assert (await api.get("/healthz")).json() == {"status": "ok", "database": "ok"}
    metadata = (await api.get("/oauth-client-metadata.json")).json()
    assert metadata["client_id"].startswith("http://localhost?")
    assert metadata["dpop_bound_access_tokens"] is True
    assert (await api.get("/oauth/jwks.json")).json() == {"keys": []}
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert {"/auth/sign-in", "/auth/callback", "/me", "/invites", "/healthz"} <= set(paths)
