"""Which HTTP answer each kind of failure gets: rule violations are 4xx, a Bluesky
server that failed is 502, and no answer carries more than the error's sentence."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from talk_backend.application.errors import UnsafeUrl, UpstreamFailure
from talk_backend.domain.errors import InviteRequired, SignInDeclined, SignInFailed
from talk_backend.entrypoints.http.errors import install_error_handlers

FAILURES: dict[str, Exception] = {
    "upstream": UpstreamFailure("could not reach https://pds.example.test: ConnectError"),
    "unsafe": UnsafeUrl("pds.example.test resolves to a non-public address"),
    "refused": SignInFailed("the token exchange failed (invalid_grant)"),
    "declined": SignInDeclined("Bluesky refused the sign-in: access_denied"),
    "no-invite": InviteRequired("did:plc:x has no account and no valid invite"),
}


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail/{kind}")
    async def fail(kind: str) -> None:
        raise FAILURES[kind]

    return app


@pytest.mark.parametrize(
    ("kind", "status"),
    [("upstream", 502), ("unsafe", 400), ("refused", 400), ("declined", 400), ("no-invite", 403)],
)
async def test_each_failure_has_its_status_and_its_sentence(kind, status):
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get(f"/fail/{kind}")
    assert answer.status_code == status
    assert answer.json() == {"detail": str(FAILURES[kind])}


def test_infrastructure_failures_are_not_sign_in_refusals():
    """A caller that handles SignInFailed (a refusal) must not swallow an outage."""
    assert not isinstance(FAILURES["upstream"], SignInFailed)
    assert not isinstance(FAILURES["unsafe"], SignInFailed)
