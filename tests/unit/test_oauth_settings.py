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


@pytest.mark.parametrize(
    ("public_url", "error", "rule"),
    [
        ("http://127.0.0.1:8000", "invalid_client_metadata", 'must use the "https:" protocol'),
        ("https://127.0.0.1:8443", "invalid_client_metadata", "must not use a loopback host"),
        ("https://10.1.2.3", "invalid_client_metadata", "must not be an IP address"),
        ("https://talk", "invalid_client_metadata", "must contain at least two segments"),
        ("https://talk.local", "invalid_client_metadata", 'must not end with ".local"'),
        ("https://talk.test:8443", "invalid_client_id", "TLD must not be a local hostname"),
        ("https://talk.example", "invalid_client_id", "TLD must not be a local hostname"),
        ("https://u:hunter2@talk.example.com", "invalid_client_metadata", "credentials"),
    ],
)
def test_a_confidential_client_the_server_would_refuse_stops_start_up(
    monkeypatch, public_url, error, rule
):
    monkeypatch.setenv("DATABASE__URL", "postgresql+asyncpg://u@db/talk")
    monkeypatch.setenv("OAUTH__PUBLIC_URL", public_url)
    monkeypatch.setenv("OAUTH__PRIVATE_KEY", "not-a-key-but-secret")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert "OAUTH__PUBLIC_URL cannot serve a confidential client" in message
    assert error in message and rule in message
    assert "hunter2" not in message and "not-a-key" not in message


def test_a_loopback_client_may_use_any_public_url(monkeypatch):
    monkeypatch.setenv("DATABASE__URL", "postgresql+asyncpg://u@db/talk")
    monkeypatch.setenv("OAUTH__PUBLIC_URL", "http://127.0.0.1:8000")
    assert load_settings().oauth.private_key is None


def test_a_confidential_client_on_a_reserved_non_local_name_starts(monkeypatch):
    monkeypatch.setenv("DATABASE__URL", "postgresql+asyncpg://u@db/talk")
    monkeypatch.setenv("OAUTH__PUBLIC_URL", "https://talk.internal:8443")
    monkeypatch.setenv("OAUTH__PRIVATE_KEY", "k")
    assert load_settings().oauth.public_url == "https://talk.internal:8443"
