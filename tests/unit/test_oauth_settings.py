import pytest

from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.settings import Environment, OAuthSettings, Settings, SettingsError, load_settings


def test_production_refuses_the_loopback_switch(monkeypatch):
    monkeypatch.setenv("DATABASE__URL", "postgresql+asyncpg://u:hunter2@db/talk")
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("OAUTH__PUBLIC_URL", "https://talk.example.com")
    monkeypatch.setenv("OAUTH__PRIVATE_KEY", "not-a-key-but-secret")
    monkeypatch.setenv("OAUTH__ALLOW_INSECURE_LOOPBACK", "true")
    with pytest.raises(SettingsError, match="OAUTH__ALLOW_INSECURE_LOOPBACK") as caught:
        load_settings()
    assert "hunter2" not in str(caught.value) and "not-a-key" not in str(caught.value)


def test_cookies_are_secure_only_in_production():
    db = {"url": "postgresql+asyncpg://u@h/d"}
    assert not Settings(database=db, environment=Environment.DEVELOPMENT).secure_cookies
    prod = Settings(
        database=db,
        environment=Environment.PRODUCTION,
        oauth=OAuthSettings(public_url="https://t.example.com", private_key="k"),
    )
    assert prod.secure_cookies


def test_loopback_client_id_comes_from_configuration():
    client = ClientIdentity(OAuthSettings(public_url="http://127.0.0.1:9999"))
    assert client.client_id.startswith(
        "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A9999"
    )
    assert client.metadata()["token_endpoint_auth_method"] == "none"


def test_confidential_client_signs_assertions():
    from joserfc.jwk import ECKey

    pem = ECKey.generate_key("P-256").as_pem(private=True).decode()
    client = ClientIdentity(OAuthSettings(public_url="https://t.example.com", private_key=pem))
    assert client.client_id == "https://t.example.com/oauth-client-metadata.json"
    assert client.metadata()["token_endpoint_auth_method"] == "private_key_jwt"
    assert "d" not in client.jwks()["keys"][0]
    assert "client_assertion" in client.auth_params("https://as.example.com")


def test_bad_private_key_message_does_not_echo_it():
    with pytest.raises(ValueError, match="OAUTH__PRIVATE_KEY") as caught:
        ClientIdentity(OAuthSettings(private_key="super-secret-garbage"))
    assert "super-secret" not in str(caught.value)
