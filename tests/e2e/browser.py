"""A scripted browser: one cookie jar for the API, following the sign-in redirects
by hand so a test can stop at, or tamper with, any step."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from talk_backend.devtools.fake_atproto import FakeAtproto
from tests.factories import seed_member
from tests.harness import Env


class Browser:
    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api

    async def start(self, account: str | None) -> httpx.Response:
        """`None`: sign in without naming an account (the entryway picks it)."""
        body = {} if account is None else {"account": account}
        return await self.api.post("/auth/sign-in", json=body)

    async def authorize(self, authorization_url: str) -> dict[str, str]:
        """Visits the authorization server (which approves at once); returns the
        callback's query parameters."""
        async with httpx.AsyncClient() as other_site:
            response = await other_site.get(authorization_url)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith(str(self.api.base_url)), location
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    async def callback(self, params: dict[str, str]) -> httpx.Response:
        return await self.api.get(f"/auth/callback?{urlencode(params)}")

    async def sign_in(self, account: str | None) -> httpx.Response:
        started = await self.start(account)
        assert started.status_code == 303, started.text
        params = await self.authorize(started.headers["location"])
        return await self.callback(params)

    async def as_member(
        self, env: Env, fake_atproto: FakeAtproto, did: str, handle: str
    ) -> httpx.AsyncClient:
        """Signs in a member who exists already; returns the API client with its cookie."""
        fake_atproto.add_account(did, handle)
        await seed_member(env, did, handle)
        assert (await self.sign_in(did)).status_code == 303
        return self.api
