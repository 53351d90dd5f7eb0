"""What an authorization server learns about this client: the metadata document and
JWKS it fetches (served at /oauth-client-metadata.json and /oauth/jwks.json), and the
client assertion it verifies against them; and which OAUTH__PRIVATE_KEY values start
the app at all (the message names the setting, never the value)."""

from __future__ import annotations

import json

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from joserfc.jws import extract_compact

from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity, load_client_key
from talk_backend.settings import OAuthSettings

PUBLIC_URL = "https://talk.example.com"
KEY = ECKey.generate_key("P-256")
NOT_A_KEY = "OAUTH__PRIVATE_KEY is not an EC private key (PEM or JWK)"
NOT_P256 = "OAUTH__PRIVATE_KEY must be a P-256 (ES256) private key"


def confidential(key: str | None = None) -> ClientIdentity:
    pem = key or KEY.as_pem(private=True).decode()
    return ClientIdentity(OAuthSettings(public_url=PUBLIC_URL, private_key=pem))


def test_the_confidential_clients_metadata():
    client = confidential()
    assert client.metadata() == {
        "client_id": f"{PUBLIC_URL}/oauth-client-metadata.json",
        "client_name": "talk-backend",
        "application_type": "web",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": client.scope,
        "redirect_uris": [f"{PUBLIC_URL}/auth/callback"],
        "dpop_bound_access_tokens": True,
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "jwks_uri": f"{PUBLIC_URL}/oauth/jwks.json",
    }


def test_the_loopback_clients_metadata_has_no_key():
    client = ClientIdentity(OAuthSettings(public_url="http://127.0.0.1:8000"))
    metadata = client.metadata()
    assert metadata["client_name"] == "talk-backend"
    assert metadata["application_type"] == "web"
    assert metadata["grant_types"] == ["authorization_code", "refresh_token"]
    assert metadata["response_types"] == ["code"]
    assert metadata["token_endpoint_auth_method"] == "none"
    assert "jwks_uri" not in metadata and "token_endpoint_auth_signing_alg" not in metadata
    assert client.jwks() == {"keys": []}


def test_the_jwks_publishes_the_public_key_the_assertion_names():
    client = confidential()
    (published,) = client.jwks()["keys"]
    assert "d" not in published
    assert published["crv"] == "P-256" and published["kty"] == "EC"
    assert (published["use"], published["alg"]) == ("sig", "ES256")

    assertion = client.auth_params("https://as.example.com")["client_assertion"]
    header = extract_compact(assertion.encode()).protected
    assert header["kid"] == published["kid"]
    # What the authorization server does: pick the key by kid and verify.
    claims = jwt.decode(assertion, KeySet.import_key_set(client.jwks())).claims
    assert claims["aud"] == "https://as.example.com"
    assert claims["iss"] == claims["sub"] == client.client_id
    assert claims["exp"] - claims["iat"] == 60  # a replayed assertion dies within a minute


@pytest.mark.parametrize(
    "text",
    [
        KEY.as_pem(private=True).decode(),
        json.dumps(KEY.as_dict(private=True)),
        "\n  " + json.dumps(KEY.as_dict(private=True)),  # as an env file may hold it
    ],
    ids=["pem", "jwk", "jwk-after-whitespace"],
)
def test_a_p256_private_key_is_read_as_pem_or_jwk(text):
    assert load_client_key(text).thumbprint() == KEY.thumbprint()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hunter2-not-a-key", NOT_A_KEY),
        ('{"kty": "EC", "secret": "hunter2"', NOT_A_KEY),
        (KEY.as_pem(private=False).decode(), NOT_P256),
        (json.dumps(KEY.as_dict(private=False)), NOT_P256),
        (ECKey.generate_key("P-384").as_pem(private=True).decode(), NOT_P256),
    ],
    ids=["garbage", "broken-json", "public-pem", "public-jwk", "p384"],
)
def test_a_key_that_cannot_sign_es256_stops_start_up_with_its_reason(text, message):
    with pytest.raises(ValueError, match=r"^OAUTH__PRIVATE_KEY") as refused:
        load_client_key(text)
    assert str(refused.value) == message
    assert "hunter2" not in str(refused.value)
