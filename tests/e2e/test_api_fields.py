"""The fields a member reads about themselves and their invites, each with its value:
who invited them, when an invite expires, who accepted it."""

from __future__ import annotations

from datetime import datetime

from tests.factories import ALICE, BOB


async def test_me_says_who_invited_me_and_invites_say_who_accepted(e2e_env, fake_atproto, browser):
    fake_atproto.add_account(BOB, "bob.test")
    alice_client = await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")
    alice = (await alice_client.get("/me")).json()
    sent = await alice_client.post(
        "/invites", json={"invitee": BOB, "expires_at": "2999-01-02T03:04:05Z"}
    )
    assert sent.status_code == 201
    assert datetime.fromisoformat(sent.json()["expires_at"]) == datetime.fromisoformat(
        "2999-01-02T03:04:05+00:00"
    )
    assert sent.json()["accepted_by"] is None

    await alice_client.post("/auth/sign-out")
    assert (await browser.sign_in(BOB)).status_code == 303
    bob = (await browser.api.get("/me")).json()
    assert bob["invited_by"] == alice["id"] and alice["invited_by"] is None

    await browser.api.post("/auth/sign-out")
    await browser.sign_in(ALICE)
    (listed,) = (await browser.api.get("/invites")).json()
    assert (listed["status"], listed["accepted_by"]) == ("accepted", bob["id"])
    assert listed["expires_at"] == sent.json()["expires_at"]
