"""The access log of `talk-backend serve`: one line per request when ACCESS_LOG is on,
none when off, and never the OAuth callback's `code` or `state`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from talk_backend.devtools.dev_bluesky import DEV_USER_HANDLE
from talk_backend.devtools.fake_atproto.consent import decision_form
from talk_backend.devtools.local_server import bind_loopback
from tests.harness import Env, create_env_fixture

db_env = create_env_fixture(unmock={"persistence"}, isolation="database")


def _free_port() -> int:
    with bind_loopback() as sock:
        return int(sock.getsockname()[1])


def _serve(database_url: str, access_log: str, out: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DATABASE__URL": database_url, "ACCESS_LOG": access_log}
    command = [sys.executable, "-m", "talk_backend.entrypoints.cli", "serve", "--dev-bluesky"]
    with out.open("wb") as log:
        proc = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, out.read_text()
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    proc.wait()
    raise AssertionError(f"serve did not answer within 60 s:\n{out.read_text()}")


def _sign_in(base: str) -> dict[str, str]:
    """The dev user's sign-in along its redirects; returns the callback's parameters."""
    with httpx.Client(base_url=base, timeout=10) as browser:
        started = browser.post("/auth/sign-in", json={"account": DEV_USER_HANDLE})
        assert started.status_code == 303, started.text
        # The dev fake asks for consent; approve through its form, as a person would (the
        # fake's device cookie is kept by this client: same host, another port).
        consent = browser.get(started.headers["location"])
        assert consent.status_code == 200, consent.text
        approved = browser.post(
            started.headers["location"].split("?")[0], data=decision_form(consent.text)
        )
        assert approved.status_code == 303, approved.text
        callback = approved.headers["location"]
        params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
        finished = browser.get(callback)
        assert finished.status_code in (200, 303), finished.text
        assert browser.get("/me").status_code == 200
    return params


@pytest.mark.parametrize("access_log", ["on", "off"])
async def test_access_log_never_shows_the_callbacks_code_or_state(
    db_env: Env, tmp_path: Path, access_log: str
):
    assert db_env.database_url is not None
    out = tmp_path / "serve.log"
    proc, base = _serve(db_env.database_url, access_log, out)
    try:
        params = _sign_in(base)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    log = out.read_text()
    assert params["code"] and params["state"]
    assert params["code"] not in log and params["state"] not in log
    callback_lines = [line for line in log.splitlines() if "/auth/callback" in line]
    if access_log == "on":
        assert len(callback_lines) == 1, log
        assert "code=redacted" in callback_lines[0] and "state=redacted" in callback_lines[0]
        assert '"GET /healthz HTTP/1.1" 200' in log
    else:
        assert callback_lines == [] and "GET /healthz" not in log, log
