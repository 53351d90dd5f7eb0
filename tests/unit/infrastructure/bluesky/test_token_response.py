"""What the adapter accepts from a token endpoint, and what of a refusal it shows.

A token answer is the authorization server's word on who signed in: a server that
vouches for another account, drops the atproto scope or hands out bearer tokens is
refused with a message the person sees (detail). An error body's code and
description reach a person only cleaned: no token we sent, nothing unprintable,
bounded. The exception classes are the error mapping's business; these tests read
the messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from talk_backend.application.oauth_state import GrantOrigin
from talk_backend.infrastructure.bluesky.token_response import (
    DESCRIPTION_CHARS,
    checked_tokens,
    error_code,
    error_description,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ORIGIN = GrantOrigin(
    "did:plc:abcdefghijklmnopqrstuvwx",
    "https://as.example.com",
    "https://pds.example.com",
    "https://as.example.com/oauth/token",
    '{"kty": "EC"}',
)
OTHER_ACCOUNT = "the authorization server vouched for a different account"


def answer(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "sub": ORIGIN.did,
        "scope": "atproto transition:generic",
        "token_type": "DPoP",
        "access_token": "access-1",
        "refresh_token": "refresh-1",
        "expires_in": 3600,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_a_complete_answer_becomes_the_grant():
    tokens = checked_tokens(answer(), ORIGIN, NOW)
    assert (tokens.did, tokens.issuer, tokens.pds_url) == (
        ORIGIN.did,
        ORIGIN.issuer,
        ORIGIN.pds_url,
    )
    assert tokens.token_endpoint == ORIGIN.token_endpoint
    assert tokens.dpop_private_jwk == ORIGIN.dpop_private_jwk
    assert (tokens.access_token, tokens.refresh_token) == ("access-1", "refresh-1")
    assert tokens.scope == "atproto transition:generic"
    assert tokens.expires_at == NOW + timedelta(hours=1)
    assert tokens.updated_at == NOW


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sub": "did:plc:someoneelsealtogether00"}, OTHER_ACCOUNT),
        ({"sub": None}, OTHER_ACCOUNT),
        ({"scope": "transition:generic"}, "the granted scope does not include atproto"),
        ({"scope": "atprotox"}, "the granted scope does not include atproto"),
        ({"scope": None}, "the granted scope does not include atproto"),
        ({"scope": ["atproto"]}, "the granted scope does not include atproto"),
        ({"token_type": "Bearer"}, "the access token is not DPoP-bound"),
        ({"token_type": None}, "the access token is not DPoP-bound"),
        ({"access_token": None}, "the token response is incomplete"),
        ({"access_token": 7}, "the token response is incomplete"),
        ({"expires_in": None}, "the token response is incomplete"),
        ({"expires_in": "3600"}, "the token response is incomplete"),
    ],
)
def test_an_answer_that_vouches_for_less_is_refused_with_its_reason(changes, message):
    with pytest.raises(Exception, match=message) as refused:
        checked_tokens(answer(**changes), ORIGIN, NOW)
    assert str(refused.value) == message


def test_the_token_type_is_read_case_insensitively():
    assert checked_tokens(answer(token_type="dpop"), ORIGIN, NOW).access_token == "access-1"


def test_without_a_refresh_token_the_grant_has_none():
    assert checked_tokens(answer(refresh_token=None), ORIGIN, NOW).refresh_token is None
    assert checked_tokens(answer(refresh_token=5), ORIGIN, NOW).refresh_token is None


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [(-5, 0), (0, 0), (86400, 86400), (86401, 86400), (10**12, 86400)],
)
def test_the_lifetime_is_bounded_to_a_day_and_never_negative(expires_in, lifetime):
    tokens = checked_tokens(answer(expires_in=expires_in), ORIGIN, NOW)
    assert tokens.expires_at == NOW + timedelta(seconds=lifetime)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"error": "invalid_grant"}, "invalid_grant"),
        ({"error": "a" + "b" * 63}, "a" + "b" * 63),
        ({"error": "a" + "b" * 64}, "no error code"),
        ({"error": "Invalid_grant"}, "no error code"),
        ({"error": "invalid grant"}, "no error code"),
        ({"error": "refresh-1"}, "no error code"),
        ({"error": 400}, "no error code"),
        ({}, "no error code"),
        (["invalid_grant"], "no error code"),
        ("invalid_grant", "no error code"),
        (None, "no error code"),
    ],
)
def test_only_an_error_code_that_looks_like_one_is_shown(body, code):
    assert error_code(body) == code


def test_a_description_is_shown_cleaned_of_what_we_sent():
    body = {"error_description": "state st-123 and\tassertion eyJ.x.y\r\nare bad\u202e!"}
    shown = error_description(body, ["st-123", "", "eyJ.x.y"])
    assert shown == "state [redacted] and assertion [redacted] are bad !"


def test_a_long_description_is_cut_with_a_marker():
    exact = error_description({"error_description": "x" * DESCRIPTION_CHARS}, [])
    assert exact == "x" * DESCRIPTION_CHARS
    longer = error_description({"error_description": "y" * (DESCRIPTION_CHARS + 1)}, [])
    assert longer == "y" * DESCRIPTION_CHARS + "…"


@pytest.mark.parametrize(
    "body",
    [{}, {"error_description": 5}, {"error_description": " \x00\n "}, ["x"], "text", None],
)
def test_no_description_when_there_is_nothing_printable(body):
    assert error_description(body, ["sent"]) is None
