"""Clients that drive the fake Bluesky without a browser read its consent page with
decision_form: it must read back exactly what the page holds."""

from __future__ import annotations

import pytest

from talk_backend.devtools.fake_atproto.consent import decision_form, page
from talk_backend.devtools.fake_atproto.grants import Par


def test_the_form_carries_the_pages_fields_and_the_decision():
    par = Par({"redirect_uri": "http://127.0.0.1:1/auth/callback"}, "jkt", 0.0, csrf='a&b"c')
    html = page(par, "urn:ietf:params:oauth:request_uri:x<y", "bob.test", "did:plc:bob")
    assert decision_form(html) == {
        "request_uri": "urn:ietf:params:oauth:request_uri:x<y",
        "csrf_token": 'a&b"c',
        "decision": "approve",
    }
    assert decision_form(html, "deny")["decision"] == "deny"


def test_another_page_is_a_clear_error():
    with pytest.raises(ValueError, match="not the fake's consent page"):
        decision_form("<html>Sign in with Bluesky</html>")
