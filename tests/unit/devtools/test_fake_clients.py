"""The fake authorization server's client checks, case by case, with the real
server's error codes: private_key_jwt assertions against the client's JWKS, the
metadata document, redirect_uri."""

from __future__ import annotations

import secrets
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from talk_backend.devtools.fake_atproto.clients import (
    ASSERTION_TYPE,
    ClientRegistry,
    KnownClient,
    _check_metadata,
    check_redirect_uri,
)
from talk_backend.devtools.fake_atproto.grants import Refused

ISSUER = "http://127.0.0.1:5000"
M, R = "invalid_client_metadata", "invalid_redirect_uri"
CLIENT_ID = "https://talk.internal/oauth-client-metadata.json"
KEY = ECKey.generate_key("P-256", private=True)


def metadata(**changes):
    document = {
        "client_id": CLIENT_ID,
        "application_type": "web",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "atproto",
        "redirect_uris": ["https://talk.internal/auth/callback"],
        "dpop_bound_access_tokens": True,
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "jwks_uri": "https://talk.internal/oauth/jwks.json",
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


def client(key: ECKey = KEY) -> KnownClient:
    public = key.as_dict(private=False)
    public["kid"] = key.thumbprint()
    return KnownClient(CLIENT_ID, metadata(), KeySet.import_key_set({"keys": [public]}))


def assertion(key: ECKey = KEY, **changes) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": ISSUER,
        "jti": secrets.token_urlsafe(8),
        "iat": now,
        "exp": now + 60,
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    token = jwt.encode({"alg": "ES256", "kid": key.thumbprint()}, claims, key)
    return {
        "client_id": CLIENT_ID,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": token,
    }


def refusal(call) -> tuple[str, str]:
    with pytest.raises(Refused) as refused:
        call()
    return refused.value.error, str(refused.value)


def test_a_good_assertion_passes_once():
    registry, form = ClientRegistry(), assertion()
    registry.authenticate(client(), form, ISSUER, "dpop-jkt")
    error, text = refusal(lambda: registry.authenticate(client(), form, ISSUER, "dpop-jkt"))
    assert (error, text) == ("invalid_grant", "private_key_jwt jti reused")


@pytest.mark.parametrize(
    ("form", "error", "text"),
    [
        (
            {"client_id": CLIENT_ID},
            "invalid_request",
            'client authentication method "private_key_jwt" required a "client_assertion"',
        ),
        (
            assertion(ECKey.generate_key("P-256", private=True)),
            "invalid_client",
            'Unable to verify "client_assertion" JWT',
        ),
        (assertion(aud="http://elsewhere"), "invalid_client", 'Invalid "aud" claim'),
        (assertion(iss="https://other.example.com/m.json"), "invalid_client", 'Invalid "iss"'),
        (assertion(iat=int(time.time()) - 600), "invalid_client", '"iat" claim'),
        (assertion(jti=None), "invalid_client", '"jti"'),
        (
            {**assertion(), "client_assertion_type": "x"},
            "invalid_client",
            "Unsupported client_assertion_type",
        ),
    ],
)
def test_a_bad_assertion_is_refused(form, error, text):
    got_error, got_text = refusal(
        lambda: ClientRegistry().authenticate(client(), form, ISSUER, "dpop-jkt")
    )
    assert got_error == error and text in got_text


def test_the_dpop_key_must_not_be_the_client_key():
    error, text = refusal(
        lambda: ClientRegistry().authenticate(client(), assertion(), ISSUER, KEY.thumbprint())
    )
    assert error == "invalid_request" and "different key" in text


@pytest.mark.parametrize(
    ("changes", "error", "text"),
    [
        ({"client_id": "https://other.example.com/m.json"}, M, "client_id does not match"),
        ({"dpop_bound_access_tokens": None}, M, '"dpop_bound_access_tokens" must be true'),
        ({"scope": "transition:generic"}, M, 'Missing "atproto" scope'),
        ({"jwks_uri": None}, M, "requires jwks or jwks_uri"),
        ({"token_endpoint_auth_signing_alg": None}, M, "Missing token_endpoint_auth_signing"),
        ({"redirect_uris": []}, M, "At least one redirect_uri"),
        ({"redirect_uris": ["http://talk.internal/cb"]}, R, 'allowed to use the "http" scheme'),
        ({"redirect_uris": ["http://127.0.0.1:8000/cb"]}, R, "only allowed for native apps"),
        ({"redirect_uris": ["https://talk.test/cb"]}, R, "must not be a local hostname"),
        ({"token_endpoint_auth_method": "client_secret_post"}, M, "Unsupported client auth"),
    ],
)
def test_metadata_the_real_server_refuses(changes, error, text):
    got_error, got_text = refusal(lambda: _check_metadata(CLIENT_ID, metadata(**changes)))
    assert got_error == error and text in got_text


def test_redirect_uri_must_be_declared():
    known = client()
    assert check_redirect_uri(known, None) == "https://talk.internal/auth/callback"
    assert check_redirect_uri(known, "https://talk.internal/auth/callback")
    error, text = refusal(lambda: check_redirect_uri(known, "https://talk.internal/other"))
    assert (error, text) == ("invalid_request", "Invalid redirect_uri https://talk.internal/other")
