"""DEBUG: debug log level and error detail in 500 answers; refused in production;
the detail never carries the exception's message (it can hold secrets)."""

from __future__ import annotations

import re

import httpx
import pytest
from dishka import make_async_container

from talk_backend.entrypoints.http.app import create_app
from talk_backend.settings import SettingsError, load_settings

SECRET_URL = "postgresql+asyncpg://talk:s3cret-password@db.internal/talk"


def _env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    monkeypatch.setenv("DATABASE__URL", "postgresql+asyncpg://u:p@127.0.0.1/db")
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_debug_sets_the_log_level(monkeypatch):
    _env(monkeypatch, DEBUG="true")
    assert load_settings().log_level == "debug"
    _env(monkeypatch, DEBUG="false")
    assert load_settings().log_level == "info"


def test_debug_is_refused_in_production(monkeypatch):
    _env(
        monkeypatch,
        DEBUG="true",
        ENVIRONMENT="production",
        OAUTH__PUBLIC_URL="https://talk.example.com",
        OAUTH__PRIVATE_KEY='{"kty":"EC"}',
    )
    with pytest.raises(SettingsError, match="DEBUG must be false in production"):
        load_settings()


async def _boom() -> None:
    raise RuntimeError(f"could not reach {SECRET_URL}")


async def _get_boom(debug: bool) -> httpx.Response:
    app = create_app(make_async_container(), debug=debug)
    app.add_api_route("/boom", _boom)
    # raise_app_exceptions: an error that escaped the app (to be logged by the server,
    # message and all) would fail the test here.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.get("/boom")


async def test_without_debug_a_500_says_only_internal_error():
    response = await _get_boom(debug=False)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}


async def test_with_debug_a_500_names_type_and_place_but_never_the_message():
    response = await _get_boom(debug=True)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error.startswith("RuntimeError at test_debug_setting.py:") and "_boom" in error
    assert "s3cret" not in response.text and "db.internal" not in response.text


@pytest.mark.parametrize("debug", [False, True])
async def test_an_unexpected_error_is_logged_without_its_message(debug, caplog):
    caplog.set_level("DEBUG")
    response = await _get_boom(debug=debug)
    assert response.status_code == 500
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "s3cret" not in logged and "db.internal" not in logged
    (line,) = [r.getMessage() for r in caplog.records if "RuntimeError" in r.getMessage()]
    head, _, frames = line.partition("\n")
    where = r"test_debug_setting\.py:\d+ in _boom"
    assert re.fullmatch(rf"unhandled RuntimeError at {where}", head), head
    if debug:  # the frames, and nothing but frames (no message, no other text)
        assert 'test_debug_setting.py", line ' in frames and ", in _boom\n" in frames
        assert all(text.startswith("  ") for text in frames.splitlines()), frames
    else:
        assert frames == ""
