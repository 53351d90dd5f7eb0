import pytest

from talk_backend.settings import SettingsError, load_settings

SECRET = "s3cr3t-pw"


@pytest.fixture
def environ(monkeypatch):
    """Tests of the loader itself: the environment is its input."""
    for name in ["DATABASE__URL", "DATABASE_PORT", "DEBUG", "ENVIRONMENT", "INVITES__MAX_PENDING"]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_missing_database_url_is_named(environ):
    with pytest.raises(SettingsError, match="DATABASE__URL is not set"):
        load_settings()


def test_wrong_scheme_is_named_without_the_password(environ):
    environ.setenv("DATABASE__URL", f"postgres://talk:{SECRET}@db/talk")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "DATABASE__URL: must be a postgresql+asyncpg:// URL" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_every_bad_variable_is_listed(environ):
    environ.setenv("DATABASE__URL", f"postgresql+asyncpg://talk:{SECRET}@db/talk")
    environ.setenv("DATABASE_PORT", "five")
    environ.setenv("DEBUG", "maybe")
    environ.setenv("INVITES__MAX_PENDING", "0")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    for name in ("DATABASE_PORT", "DEBUG", "INVITES__MAX_PENDING"):
        assert name in message
    assert SECRET not in message


def test_valid_environment_and_masked_repr(environ):
    environ.setenv("DATABASE__URL", f"postgresql+asyncpg://talk:{SECRET}@db/talk")
    environ.setenv("ENVIRONMENT", "test")
    environ.setenv("INVITES__MAX_PENDING", "3")
    settings = load_settings()
    assert settings.environment == "test"
    assert settings.invites.max_pending == 3
    assert SECRET not in repr(settings)
