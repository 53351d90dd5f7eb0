import pytest

from talk_backend.entrypoints.http.hosts import host_name, served_hosts
from talk_backend.settings import (
    DatabaseSettings,
    Environment,
    HttpSettings,
    OAuthSettings,
    Settings,
    SettingsError,
    load_settings,
)


def _settings(environment: Environment, **http: object) -> Settings:
    settings = Settings(
        database=DatabaseSettings(url="postgresql+asyncpg://u@127.0.0.1:1/d"),
        oauth=OAuthSettings(public_url="https://talk.example.com"),
        http=HttpSettings.model_validate(http),
    )
    # Production's other rules (a private key...) are not the subject here.
    return settings.model_copy(update={"environment": environment})


def test_production_serves_only_the_public_host_and_the_extra_ones():
    hosts = served_hosts(_settings(Environment.PRODUCTION, extra_hosts="Internal.Example"))
    assert hosts == {"talk.example.com", "internal.example"}


def test_development_also_serves_loopback():
    hosts = served_hosts(_settings(Environment.DEVELOPMENT))
    assert hosts == {"talk.example.com", "127.0.0.1", "localhost", "::1"}


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (b"talk.example.com", "talk.example.com"),
        (b"TALK.example.com:443", "talk.example.com"),
        (b"[::1]:8000", "::1"),
        (b"[::1]", "::1"),
        (b"talk.example.com:", "talk.example.com"),
        (b"talk.example.com:x", None),
        (b"user@talk.example.com", None),
        (b"talk.example.com/x", None),
        (b"[::1]x", None),
        (b"[::1]80", None),  # a port needs its colon
        (b"[::1]]:80", None),  # the first "]" ends the literal
        (b"", None),
        ("t\u00e4lk.example.com".encode(), None),
    ],
)
def test_host_name(header, name):
    assert host_name(header) == name


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HTTP__TRUSTED_PROXIES", "proxy.example", "HTTP__TRUSTED_PROXIES: must be IP addresses"),
        ("HTTP__TRUSTED_PROXIES", "*", "HTTP__TRUSTED_PROXIES: must be IP addresses"),
        ("HTTP__TRUSTED_PROXIES", "10.0.0.1/8", "HTTP__TRUSTED_PROXIES: must be IP addresses"),
        ("HTTP__EXTRA_HOSTS", "https://x.example", "HTTP__EXTRA_HOSTS: must be host names"),
        ("HTTP__HEADER_TIMEOUT_SECONDS", "0", "HTTP__HEADER_TIMEOUT_SECONDS"),
        ("HTTP__MAX_CONNECTIONS", "0", "HTTP__MAX_CONNECTIONS"),
        ("SIGN_IN__PER_ADDRESS_PER_MINUTE", "0", "SIGN_IN__PER_ADDRESS_PER_MINUTE"),
        ("SIGN_IN__MAX_PENDING", "1", "SIGN_IN__MAX_PENDING"),
    ],
)
def test_a_bad_edge_setting_is_named(monkeypatch, variable, value, message):
    monkeypatch.setenv("DATABASE__URL", "postgresql+asyncpg://u@127.0.0.1:1/d")
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("DATABASE__URL", "postgresql+asyncpg://u@127.0.0.1:1/d")
    monkeypatch.setenv("HTTP__TRUSTED_PROXIES", "10.0.0.5, 192.168.0.0/16")
    assert load_settings().http.trusted_proxies == ["10.0.0.5", "192.168.0.0/16"]
