"""Every attribute of the two cookies, as a browser receives them: the session cookie
and the sign-in binding cookie, set and deleted, in development (http) and production
(Secure). HttpOnly keeps them from scripts, SameSite=Lax from cross-site POSTs, the
binding cookie is sent only to /auth and lives as long as a pending sign-in."""

from __future__ import annotations

import pytest
from fastapi import Response

from talk_backend.entrypoints.http.security import (
    BINDING_COOKIE,
    clear_binding_cookie,
    clear_session_cookie,
    set_binding_cookie,
    set_session_cookie,
)
from talk_backend.settings import Environment, OAuthSettings, SessionSettings, Settings

DB = {"url": "postgresql+asyncpg://u@h/d"}


def _settings(production: bool) -> Settings:
    if not production:
        return Settings(database=DB, environment=Environment.DEVELOPMENT)
    return Settings(
        database=DB,
        environment=Environment.PRODUCTION,
        oauth=OAuthSettings(
            public_url="https://t.example.com", private_key="k", auth_request_ttl_seconds=300
        ),
        sessions=SessionSettings(cookie_name="sid", ttl_hours=5),
    )


def _cookie(response: Response) -> tuple[str, dict[str, str]]:
    (header,) = response.headers.getlist("set-cookie")
    pair, *attributes = header.split("; ")
    parsed = {}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        parsed[name.lower()] = value
    return pair, parsed


@pytest.mark.parametrize("production", [False, True])
def test_the_session_cookie(production):
    settings = _settings(production)
    response = Response()
    set_session_cookie(response, "TOKEN", settings)
    pair, attributes = _cookie(response)
    assert pair == f"{settings.sessions.cookie_name}=TOKEN"
    secure = {"secure": ""} if production else {}
    assert attributes == {
        "httponly": "",
        "max-age": str(settings.sessions.ttl_hours * 3600),
        "path": "/",
        "samesite": "lax",
        **secure,
    }

    response = Response()
    clear_session_cookie(response, settings)
    pair, attributes = _cookie(response)
    assert pair == f'{settings.sessions.cookie_name}=""'
    assert attributes.pop("expires")  # in the past
    assert attributes == {"httponly": "", "max-age": "0", "path": "/", "samesite": "lax", **secure}


@pytest.mark.parametrize("production", [False, True])
def test_the_binding_cookie_goes_only_to_auth_and_lives_as_long_as_the_sign_in(production):
    settings = _settings(production)
    response = Response()
    set_binding_cookie(response, "BINDING", settings)
    pair, attributes = _cookie(response)
    assert pair == f"{BINDING_COOKIE}=BINDING" == "talk_oauth_binding=BINDING"
    secure = {"secure": ""} if production else {}
    assert attributes == {
        "httponly": "",
        "max-age": str(settings.oauth.auth_request_ttl_seconds),
        "path": "/auth",
        "samesite": "lax",
        **secure,
    }

    response = Response()
    clear_binding_cookie(response, settings)
    pair, attributes = _cookie(response)
    assert pair == f'{BINDING_COOKIE}=""'
    assert attributes.pop("expires")
    assert attributes == {
        "httponly": "",
        "max-age": "0",
        "path": "/auth",
        "samesite": "lax",
        **secure,
    }
