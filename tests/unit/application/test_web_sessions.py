"""Web sessions on in-memory fakes: opening, recognising and closing a session, and who
a cookie stops belonging to (expired session, deactivated member)."""

import dataclasses
from datetime import timedelta

from talk_backend.application.usecase.web_sessions.close import CloseWebSession
from talk_backend.application.usecase.web_sessions.current_user import CurrentUser
from talk_backend.application.usecase.web_sessions.open import OpenWebSession
from talk_backend.application.web_session_policy import WebSessionPolicy
from talk_backend.domain.web_sessions import web_session_token_hash
from tests.factories import ALICE, BOB, seed_member
from tests.fakes.clock import FakeClock
from tests.fakes.memory_store import MemoryStore
from tests.harness import create_env_fixture

env = create_env_fixture()


async def _signed_in(env, did=ALICE):
    member = await seed_member(env, did)
    return member, await (await env.get(OpenWebSession)).execute(member.id)


async def test_the_cookie_token_finds_its_member_and_only_the_hash_is_stored(env):
    clock = await env.get(FakeClock)
    member, token = await _signed_in(env)
    assert await (await env.get(CurrentUser)).execute(token) == member
    stored = (await env.get(MemoryStore)).web_sessions
    assert list(stored) == [web_session_token_hash(token)]
    ttl = (await env.get(WebSessionPolicy)).ttl
    assert stored[web_session_token_hash(token)].expires_at == clock.now() + ttl


async def test_each_member_gets_their_own_session(env):
    alice, alice_token = await _signed_in(env, ALICE)
    bob, bob_token = await _signed_in(env, BOB)
    current = await env.get(CurrentUser)
    assert (await current.execute(alice_token), await current.execute(bob_token)) == (alice, bob)


async def test_no_cookie_an_unknown_cookie_or_an_empty_one_is_nobody(env):
    await _signed_in(env)
    current = await env.get(CurrentUser)
    assert await current.execute(None) is None
    assert await current.execute("") is None
    assert await current.execute("not-a-token") is None


async def test_a_session_ends_exactly_at_its_expiry(env):
    clock = await env.get(FakeClock)
    member, token = await _signed_in(env)
    ttl = (await env.get(WebSessionPolicy)).ttl
    current = await env.get(CurrentUser)
    clock.advance(ttl - timedelta(seconds=1))
    assert await current.execute(token) == member
    clock.advance(timedelta(seconds=1))
    assert await current.execute(token) is None


async def test_a_deactivated_members_live_session_is_nobody(env):
    member, token = await _signed_in(env)
    store = await env.get(MemoryStore)
    store.users[member.id] = dataclasses.replace(member, is_active=False)
    assert await (await env.get(CurrentUser)).execute(token) is None


async def test_signing_out_ends_that_session_only(env):
    _, alice_token = await _signed_in(env, ALICE)
    bob, bob_token = await _signed_in(env, BOB)
    await (await env.get(CloseWebSession)).execute(alice_token)
    current = await env.get(CurrentUser)
    assert await current.execute(alice_token) is None
    assert await current.execute(bob_token) == bob
    assert list((await env.get(MemoryStore)).web_sessions) == [web_session_token_hash(bob_token)]
