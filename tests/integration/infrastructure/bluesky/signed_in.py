"""Signs an account in through the real client and the fake authorization server
(over HTTP on 127.0.0.1) and keeps its tokens in bluesky_grants, as CompleteSignIn does."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from talk_backend.application.ports import (
    AuthorizationCallback,
    BlueskyGrantStore,
    BlueskySignIn,
    TransactionManager,
)
from talk_backend.domain.identity import Did
from tests.harness import Env


async def sign_in(env: Env, did: str) -> None:
    sign_in = await env.get(BlueskySignIn)
    redirect = await sign_in.begin(Did.parse(did), "browser-1")
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(redirect.url)
    query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    signed_in = await sign_in.complete(
        AuthorizationCallback(query["state"], query.get("code"), query["iss"], "browser-1")
    )
    # What CompleteSignIn does for a member: keep the grant, commit.
    await (await env.get(BlueskyGrantStore)).keep(signed_in)
    await (await env.get(TransactionManager)).commit()


async def stored_tokens(env: Env, did: str):
    rows = await env.fetch("SELECT * FROM bluesky_grants WHERE did = :did", did=did)
    assert len(rows) == 1
    return rows[0]
