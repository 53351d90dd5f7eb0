"""Property: whatever a client sends to the API's endpoints, the answer is not 5xx."""

from __future__ import annotations

import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import ALICE

text = st.text(max_size=300)
json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=10,
)
bodies = st.one_of(
    json_value,
    st.fixed_dictionaries({"account": text}),
    st.fixed_dictionaries({"invitee": text}, optional={"expires_at": text | st.integers()}),
)
safe_text = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#%"),
    max_size=80,
)
requests = st.one_of(
    st.tuples(st.sampled_from(["POST /auth/sign-in", "POST /invites"]), bodies),
    st.tuples(
        st.just("GET /auth/callback"),
        st.dictionaries(st.sampled_from(["state", "code", "iss", "error"]), text, max_size=4),
    ),
    st.tuples(st.just("DELETE /invites/"), safe_text),
    st.tuples(st.sampled_from(["GET /me", "GET /invites", "POST /auth/sign-out"]), st.none()),
)


@pytest_asyncio.fixture(loop_scope="session")
async def member_api(e2e_env, fake_atproto, browser):
    return await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(request=requests)
async def test_no_input_gives_a_5xx(member_api, request):
    action, payload = request
    method, path = action.split(" ")
    if method == "POST" and payload is not None:
        answer = await member_api.post(path, json=payload)
    elif method == "POST":
        answer = await member_api.post(path)
    elif method == "DELETE":
        answer = await member_api.delete(path + payload)
    else:
        answer = await member_api.get(path, params=payload)
    assert answer.status_code < 500, (action, payload, answer.text)
