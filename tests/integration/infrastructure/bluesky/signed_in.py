"""Signs an account in through the real client and the fake authorization server
(over HTTP on 127.0.0.1) and keeps its tokens in bluesky_grants, as CompleteSignIn does."""

from __future__ import annotations

from talk_backend.application.ports import BlueskyGrantStore, BlueskySignIn, TransactionManager
from tests.fakes.authorization import approved_callback
from tests.harness import Env


async def sign_in(env: Env, did: str) -> None:
    sign_in = await env.get(BlueskySignIn)
    signed_in = await sign_in.complete(await approved_callback(sign_in, did))
    # What CompleteSignIn does for a member: keep the grant, commit.
    await (await env.get(BlueskyGrantStore)).keep(signed_in)
    await (await env.get(TransactionManager)).commit()


async def stored_tokens(env: Env, did: str):
    rows = await env.fetch("SELECT * FROM bluesky_grants WHERE did = :did", did=did)
    assert len(rows) == 1
    return rows[0]
