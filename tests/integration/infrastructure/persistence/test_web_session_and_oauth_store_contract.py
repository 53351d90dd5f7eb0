"""One contract, two implementations, for the session stores: web sessions (written
through the unit of work) and the OAuth client's state (own short transactions)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talk_backend.application.oauth_state import OAuthTokens, PendingAuthorization
from talk_backend.application.ports import (
    AuthRequestStore,
    OAuthGrantStore,
    SignedInMembers,
    TransactionManager,
    UserRepository,
    WebSessionRepository,
)
from talk_backend.domain.errors import TooManyPendingSignIns
from talk_backend.domain.identity import Did
from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import WebSession
from talk_backend.infrastructure.bluesky.dpop import DpopKey
from talk_backend.infrastructure.persistence.oauth_state import (
    SqlaAuthRequestStore,
    SqlaOAuthGrantStore,
)
from tests.factories import ALICE, BOB, CAROL, seed_member
from tests.fakes.clock import FakeClock
from tests.fakes.memory_store import MemoryStore
from tests.fakes.oauth_state import (
    InMemoryAuthRequestStore,
    InMemoryOAuthGrantStore,
    sample_tokens,
)
from tests.harness import Env


class TestWebSessionRepositoryContract:
    async def _session(self, env: Env) -> WebSession:
        clock = await env.get(FakeClock)
        member = await seed_member(env, ALICE)
        session, _ = WebSession.open(member.id, clock.now(), timedelta(hours=1))
        return session

    async def test_round_trip(self, env):
        sessions = await env.get(WebSessionRepository)
        session = await self._session(env)
        await sessions.add(session)
        assert await sessions.get(session.token_hash) == session
        await sessions.delete(session.token_hash)
        assert await sessions.get(session.token_hash) is None
        await sessions.delete(session.token_hash)  # deleting twice is not an error
        assert await sessions.get("0" * 64) is None

    async def test_writes_belong_to_the_unit_of_work(self, env):
        sessions, tx = await env.get(WebSessionRepository), await env.get(TransactionManager)
        kept, dropped = await self._session(env), await self._session_for(env, BOB)
        await sessions.add(kept)
        await tx.commit()
        await sessions.add(dropped)
        await sessions.delete(kept.token_hash)
        await tx.rollback()
        assert await sessions.get(kept.token_hash) == kept
        assert await sessions.get(dropped.token_hash) is None

    async def _session_for(self, env: Env, did: str) -> WebSession:
        clock = await env.get(FakeClock)
        member = await seed_member(env, did)
        return WebSession.open(member.id, clock.now(), timedelta(hours=1))[0]


class TestSignedInMembersContract:
    async def test_finds_the_committed_session_and_its_member(self, committing_env):
        env = committing_env
        clock = await env.get(FakeClock)
        member = await seed_member(env, ALICE)
        session, _ = WebSession.open(member.id, clock.now(), timedelta(hours=1))
        await (await env.get(WebSessionRepository)).add(session)
        await (await env.get(TransactionManager)).commit()
        members = await env.get(SignedInMembers)
        assert await members.web_session_with_member(session.token_hash) == (session, member)
        assert await members.web_session_with_member("0" * 64) is None

    async def test_an_expired_session_is_returned_for_the_use_case_to_judge(self, committing_env):
        env = committing_env
        clock = await env.get(FakeClock)
        member = await seed_member(env, CAROL)
        opened = clock.now() - timedelta(hours=2)
        session, _ = WebSession.open(member.id, opened, timedelta(hours=1))
        await (await env.get(WebSessionRepository)).add(session)
        await (await env.get(TransactionManager)).commit()
        found = await (await env.get(SignedInMembers)).web_session_with_member(session.token_hash)
        assert found == (session, member)


# --- the OAuth client's state -------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def oauth(committing_env: Env) -> tuple[Env, AuthRequestStore, OAuthGrantStore]:
    """The stores as the persistence group wires them, real or faked."""
    env = committing_env
    requests, grants = await env.get(AuthRequestStore), await env.get(OAuthGrantStore)
    expected = (
        (InMemoryAuthRequestStore, InMemoryOAuthGrantStore)
        if env.database_url is None
        else (SqlaAuthRequestStore, SqlaOAuthGrantStore)
    )
    assert (type(requests), type(grants)) == expected
    return env, requests, grants


async def pending(env: Env, *, ttl: timedelta = timedelta(minutes=10)) -> PendingAuthorization:
    clock = await env.get(FakeClock)
    now = clock.now()
    return PendingAuthorization(
        state=secrets.token_urlsafe(32),
        browser_binding_hash="b" * 64,
        issuer="https://as.example.com",
        did=BOB,
        pds_url="https://pds.example.com",
        token_endpoint="https://as.example.com/oauth/token",
        pkce_verifier=secrets.token_urlsafe(48),
        dpop_private_jwk=DpopKey.generate().to_json(),
        created_at=now - timedelta(minutes=1),
        expires_at=now + ttl,
    )


async def tokens(env: Env, did: str = BOB) -> OAuthTokens:
    return sample_tokens((await env.get(FakeClock)).now(), did)


class TestAuthRequestStoreContract:
    async def test_a_state_is_taken_once(self, oauth):
        env, requests, _ = oauth
        request = await pending(env)
        await requests.add(request)
        assert await requests.take(request.state, request.browser_binding_hash) == request
        assert await requests.take(request.state, request.browser_binding_hash) is None
        assert await requests.take("never-issued", request.browser_binding_hash) is None

    async def test_another_browser_cannot_take_a_state(self, oauth):
        env, requests, _ = oauth
        request = await pending(env)
        await requests.add(request)
        assert await requests.take(request.state, "0" * 64) is None
        assert await requests.is_pending(request.state)
        assert await requests.take(request.state, request.browser_binding_hash) == request
        assert not await requests.is_pending(request.state)

    async def test_a_full_store_refuses_until_expired_requests_are_swept(self, committing_env):
        env = committing_env
        clock = await env.get(FakeClock)
        if env.database_url is None:
            store = await env.get(MemoryStore)
            requests: AuthRequestStore = InMemoryAuthRequestStore(store, clock, max_pending=2)
        else:
            factory = await env.get(async_sessionmaker[AsyncSession])
            requests = SqlaAuthRequestStore(factory, clock, max_pending=2)
        stale = await pending(env, ttl=-timedelta(seconds=1))
        await requests.add(stale)
        await requests.add(await pending(env))
        await requests.add(await pending(env))  # room: the expired one was swept
        refused = await pending(env)
        # The client's 429 detail: said exactly, by both stores.
        busy = r"^too many sign-ins are under way; try again later$"
        with pytest.raises(TooManyPendingSignIns, match=busy):
            await requests.add(refused)
        assert not await requests.is_pending(refused.state)
        assert not await requests.is_pending(stale.state)

    async def test_adding_sweeps_expired_requests(self, oauth):
        env, requests, _ = oauth
        stale, live = await pending(env, ttl=-timedelta(seconds=1)), await pending(env)
        await requests.add(stale)
        await requests.add(live)
        assert await requests.take(stale.state, stale.browser_binding_hash) is None
        assert await requests.take(live.state, live.browser_binding_hash) == live

    async def test_outlives_the_request_unit_of_work(self, oauth):
        """A state must stay issued (and a taken one stay consumed) even when the
        sign-in's own transaction rolls back."""
        env, requests, _ = oauth
        clock = await env.get(FakeClock)
        users, tx = await env.get(UserRepository), await env.get(TransactionManager)
        issued, consumed = await pending(env), await pending(env)
        await requests.add(consumed)
        await users.add(User.register(Did(CAROL), None, clock.now(), None))
        await requests.add(issued)
        assert await requests.take(consumed.state, consumed.browser_binding_hash) == consumed
        await tx.rollback()
        assert await users.get_by_did(Did(CAROL)) is None
        assert await requests.take(issued.state, issued.browser_binding_hash) == issued
        assert await requests.take(consumed.state, consumed.browser_binding_hash) is None


class TestOAuthGrantStoreContract:
    async def test_save_replaces_the_accounts_tokens(self, oauth):
        env, _, sessions = oauth
        first, second = await tokens(env), await tokens(env)
        await sessions.save(first)
        await sessions.save(second)
        async with sessions.refreshing(BOB) as (current, _save):
            assert current == second
        async with sessions.refreshing(CAROL) as (current, _save):
            assert current is None

    async def test_a_save_while_refreshing_lands_when_the_block_ends(self, oauth):
        env, _, sessions = oauth
        await sessions.save(await tokens(env))
        renewed = await tokens(env)
        async with sessions.refreshing(BOB) as (_current, save):
            await save(renewed)
        async with sessions.refreshing(BOB) as (current, _save):
            assert current == renewed

    async def test_a_failed_refresh_saves_nothing(self, oauth):
        env, _, sessions = oauth
        original = await tokens(env)
        await sessions.save(original)
        with pytest.raises(RuntimeError):
            async with sessions.refreshing(BOB) as (current, save):
                assert current is not None
                await save(replace(current, access_token="new"))
                raise RuntimeError("the authorization server went away")
        async with sessions.refreshing(BOB) as (current, _save):
            assert current == original

    async def test_refreshes_of_one_account_take_turns(self, oauth):
        env, _, sessions = oauth
        await sessions.save(await tokens(env))
        await sessions.save(await tokens(env, CAROL))
        renewed = await tokens(env)
        first_in, events = asyncio.Event(), []

        async def first() -> None:
            async with sessions.refreshing(BOB) as (_current, save):
                first_in.set()
                events.append("first in")
                await asyncio.sleep(0.2)
                await save(renewed)
                events.append("first out")

        async def second() -> OAuthTokens | None:
            await first_in.wait()
            async with sessions.refreshing(BOB) as (current, _save):
                events.append("second in")
                return current

        async def other_account() -> None:
            await first_in.wait()
            async with sessions.refreshing(CAROL):
                events.append("other account in")

        _, seen, _ = await asyncio.gather(first(), second(), other_account())
        assert seen == renewed  # the second caller sees the first one's refresh
        assert events.index("first out") < events.index("second in")
        assert events.index("other account in") < events.index("first out")
