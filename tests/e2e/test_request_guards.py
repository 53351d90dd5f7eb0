"""The two request guards, by name: same_origin (Origin, then Sec-Fetch-Site) on every
state-changing endpoint, and signed_in_member (a live session cookie) on member
endpoints. dishka's @inject wraps them, so mutation testing cannot reach them: these
tests state the rules directly."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("headers", "status", "detail"),
    [
        ({}, 204, None),  # no Origin, no Fetch Metadata: a non-browser client
        ({"Origin": "{own}"}, 204, None),
        ({"Origin": "{OWN}"}, 204, None),  # origins compare case-insensitively
        ({"Origin": "https://evil.example"}, 403, "cross-origin request refused"),
        ({"Origin": "{own}.evil.example"}, 403, "cross-origin request refused"),
        ({"Origin": "null"}, 403, "cross-origin request refused"),
        ({"Sec-Fetch-Site": "same-origin"}, 204, None),
        ({"Sec-Fetch-Site": "none"}, 204, None),  # typed into the address bar
        ({"Sec-Fetch-Site": "same-site"}, 403, "cross-site request refused"),
        ({"Sec-Fetch-Site": "cross-site"}, 403, "cross-site request refused"),
        ({"Origin": "{own}", "Sec-Fetch-Site": "cross-site"}, 403, "cross-site request refused"),
    ],
)
async def test_same_origin_guard(api, headers, status, detail):
    own = str(api.base_url).rstrip("/")
    sent = {k: v.format(own=own, OWN=own.upper()) for k, v in headers.items()}
    answer = await api.post("/auth/sign-out", headers=sent)
    assert answer.status_code == status, answer.text
    if detail is not None:
        assert answer.json() == {"detail": detail}


@pytest.mark.parametrize("cookie", [None, "", "made-up-token"])
async def test_member_endpoints_need_a_live_session(api, cookie):
    headers = {} if cookie is None else {"Cookie": f"talk_session={cookie}"}
    answer = await api.get("/me", headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"detail": "sign in first"}
    assert answer.headers["www-authenticate"] == "Cookie"
