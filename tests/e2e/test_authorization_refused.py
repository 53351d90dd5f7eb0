"""POST /auth/sign-in when the account's authorization server refuses the pushed
authorization request: the 400 carries the server's `error` and `error_description`
(bounded, printable, nothing we sent echoed back), so the person sees why."""

from __future__ import annotations

from talk_backend.infrastructure.bluesky.token_response import DESCRIPTION_CHARS
from tests.factories import BOB


async def test_the_servers_reason_reaches_the_client(fake_atproto, browser):
    fake_atproto.add_account(BOB, "bob.test")
    fake_atproto.par_refusal = lambda form: (
        "invalid_client_metadata",
        f'Invalid client ID "{form["client_id"][:16]}"',
    )

    answer = await browser.api.post(
        "/auth/sign-in", json={"account": "bob.test"}, headers={"Accept": "application/json"}
    )

    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "invalid_client_metadata"
    assert body["error_description"] == 'Invalid client ID "http://localhost"'
    assert body["detail"] == (
        "the authorization server refused the request: "
        'invalid_client_metadata: Invalid client ID "http://localhost"'
    )


async def test_a_hostile_description_is_cleaned_and_cut(fake_atproto, browser):
    fake_atproto.add_account(BOB, "bob.test")
    echoed: dict[str, str] = {}

    def refuse(form: dict[str, str]) -> tuple[str, str]:
        echoed["state"] = form["state"]
        return "invalid_request", f"bad\x00state\r\n{form['state']}\u202e \x1b[31m" + "x" * 500

    fake_atproto.par_refusal = refuse

    answer = await browser.api.post("/auth/sign-in", json={"account": "bob.test"})

    assert answer.status_code == 400
    description = answer.json()["error_description"]
    assert description.startswith("bad state [redacted] [31mxxx")
    assert len(description) == DESCRIPTION_CHARS + 1 and description.endswith("…")
    assert all(c.isprintable() for c in description)
    assert echoed["state"] not in answer.text


async def test_a_non_code_error_is_not_repeated(fake_atproto, browser):
    fake_atproto.add_account(BOB, "bob.test")
    fake_atproto.par_refusal = lambda form: ("Not A Code <script>", "")

    answer = await browser.api.post("/auth/sign-in", json={"account": "bob.test"})

    assert answer.status_code == 400
    body = answer.json()
    assert (body["error"], body["error_description"]) == ("no error code", None)
    assert "<script>" not in answer.text
