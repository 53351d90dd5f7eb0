"""Persistence edges the contracts left open: the member a session cookie finds comes
back with every field, invites come back exactly as added in any state and in a stable
order, the engine never overflows its pool, a hung server
fails the health probe instead of hanging it, and a foreign grant is refused."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import uuid
from datetime import timedelta

import pytest

from talk_backend.application.ports import (
    CompletedSignIn,
    InviteRepository,
    SignedInMembers,
    TransactionManager,
    UserRepository,
    WebSessionRepository,
)
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity
from talk_backend.domain.invites import Invite, InviteStatus
from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import WebSession
from talk_backend.infrastructure.persistence.database import create_engine
from talk_backend.infrastructure.persistence.health import AsyncpgHealthCheck
from talk_backend.infrastructure.persistence.oauth_state import SqlaBlueskyGrantStore
from tests.factories import ALICE, BOB, CAROL, DAVE, seed_member
from tests.fakes.clock import FakeClock


async def test_the_member_behind_a_session_comes_back_with_every_field(committing_env):
    env = committing_env
    clock = await env.get(FakeClock)
    inviter = await seed_member(env, ALICE)
    member = dataclasses.replace(
        User.register(Did(BOB), Handle("bob.test"), clock.now(), inviter.id), is_active=False
    )
    await (await env.get(UserRepository)).add(member)
    session, _ = WebSession.open(member.id, clock.now(), timedelta(hours=1))
    await (await env.get(WebSessionRepository)).add(session)
    await (await env.get(TransactionManager)).commit()
    found = await (await env.get(SignedInMembers)).web_session_with_member(session.token_hash)
    assert found == (session, member)


async def test_an_invite_comes_back_exactly_as_added_in_any_state(env):
    clock = await env.get(FakeClock)
    alice, bob = await seed_member(env, ALICE), await seed_member(env, BOB)
    invites = await env.get(InviteRepository)
    now = clock.now()
    accepted = Invite.issue(alice.id, Did(CAROL), now, None).accepted(bob.id, now)
    revoked = Invite.issue(alice.id, Handle("x.test"), now, now + timedelta(days=1)).revoked(now)
    for invite in (accepted, revoked):
        await invites.add(invite)
        assert await invites.get(invite.id) == invite
    assert (await invites.get(accepted.id)).stored_status is InviteStatus.ACCEPTED


async def test_invites_created_at_the_same_moment_are_listed_and_found_by_id(env):
    clock = await env.get(FakeClock)
    alice = await seed_member(env, ALICE)
    invites = await env.get(InviteRepository)
    now = clock.now()
    same_time = [Invite.issue(alice.id, Did(did), now, None) for did in (BOB, CAROL, DAVE)]
    # Stored highest id first, so storage order cannot pass for the id order.
    for invite in sorted(same_time, key=lambda i: i.id, reverse=True):
        await invites.add(invite)
    by_id = sorted(i.id for i in same_time)
    assert [i.id for i in await invites.list_by_inviter(alice.id)] == by_id
    eve = Did("did:plc:eeee2345eeee2345eeee2345")
    for_eve = [Invite.issue(alice.id, eve, now, None) for _ in range(3)]
    for invite in sorted(for_eve, key=lambda i: i.id, reverse=True):
        await invites.add(invite)
    found = await invites.find_usable_for(VerifiedIdentity(eve), now)
    assert [i.id for i in found] == sorted(i.id for i in for_eve)


async def test_the_pool_never_opens_more_than_pool_size_connections(sqla_db_env):
    engine = create_engine(sqla_db_env.database_url, pool_size=1)
    try:
        async with engine.connect():
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.5), engine.connect():
                    pass  # a second connection would be an overflow
    finally:
        await engine.dispose()


async def test_a_server_that_never_answers_fails_the_health_probe():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts the connection, never says a word
    port = silent.getsockname()[1]
    engine = create_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{port}/db", pool_size=1)
    try:
        async with asyncio.timeout(20):  # the probe's own limit is far shorter
            assert await AsyncpgHealthCheck(engine).database_ok() is False
    finally:
        await engine.dispose()
        silent.close()


async def test_the_grant_store_refuses_a_grant_from_another_sign_in(sqla_env):
    store = SqlaBlueskyGrantStore(db=None)  # type: ignore[arg-type]
    foreign = CompletedSignIn(VerifiedIdentity(Did(BOB)), grant=object())
    with pytest.raises(TypeError) as refused:
        await store.keep(foreign)
    assert str(refused.value) == "the grant did not come from the atproto sign-in"


async def test_time_orders_invites_before_their_ids_do(env):
    """Ids chosen so that neither their order nor its reverse is the order in time: the
    oldest usable invite is used first, the newest is listed first, whatever the ids."""
    clock = await env.get(FakeClock)
    alice = await seed_member(env, ALICE)
    invites = await env.get(InviteRepository)
    now = clock.now()
    ids = sorted(uuid.uuid4() for _ in range(3))
    made = [
        dataclasses.replace(
            Invite.issue(alice.id, Did(BOB), now - timedelta(minutes=n), None), id=ids[rank]
        )
        for n, rank in enumerate((1, 0, 2))
    ]  # newest to oldest: the middle id, the lowest, the highest
    for invite in made:
        await invites.add(invite)
    oldest_first = [made[2].id, made[1].id, made[0].id]
    assert [i.id for i in await invites.find_usable_for(VerifiedIdentity(Did(BOB)), now)] == (
        oldest_first
    )
    assert [i.id for i in await invites.list_by_inviter(alice.id)] == oldest_first[::-1]
