"""A browser at the fake authorization server (talk_backend/devtools): it follows the
sign-in's redirect, the server approves at once and redirects back, and the browser's
callback is what the app would receive."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from talk_backend.application.ports import AuthorizationCallback, BlueskySignIn
from talk_backend.domain.identity import Did

BROWSER = "browser-1"  # the browser binding both halves of the sign-in carry


async def approved_callback(sign_in: BlueskySignIn, did: str) -> AuthorizationCallback:
    redirect = await sign_in.begin(Did.parse(did), BROWSER)
    return await callback_from(redirect.url)


async def callback_from(authorization_url: str) -> AuthorizationCallback:
    """The callback a browser brings back from the authorization page at this URL."""
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(authorization_url)
    query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    return AuthorizationCallback(query["state"], query.get("code"), query["iss"], BROWSER)
