"""The HTTP side of SignInRateLimit: 429 with Retry-After, before any work is done.

The client address is the connection's peer, or, when the peer is one of
HTTP__TRUSTED_PROXIES, what that proxy put in X-Forwarded-For (uvicorn's proxy-header
middleware rewrites it, see server.py); a header from anyone else is ignored."""

# No `from __future__ import annotations`: dishka's wrapper needs real annotations.

from dishka.integrations.fastapi import FromDishka, inject
from fastapi import Depends, HTTPException, Request

from talk_backend.application.sign_in_rate import SignInRateLimit


@inject
async def sign_in_allowed(request: Request, limit: FromDishka[SignInRateLimit]) -> None:
    host = request.client.host if request.client else ""
    wait = limit.take(host)
    if wait is not None:
        raise HTTPException(
            429, "too many sign-in attempts; try again later", {"Retry-After": str(wait)}
        )


SignInRate = Depends(sign_in_allowed)
