"""A full table of pending sign-ins (SIGN_IN__MAX_PENDING) is a 429 with Retry-After,
like the rate limit, not a 400 that would read as the account's fault."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from talk_backend.domain.errors import TooManyPendingSignIns
from talk_backend.entrypoints.http.errors import install_error_handlers


async def test_too_many_pending_sign_ins_is_429_with_retry_after():
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/start")
    async def start() -> None:
        raise TooManyPendingSignIns("too many sign-ins are under way; try again later")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        answer = await client.get("/start")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "60"
    assert answer.json() == {"detail": "too many sign-ins are under way; try again later"}
