"""What an outsider can send over HTTP: nothing gives a 5xx, errors echo only a short
excerpt, big bodies are refused before parsing, and a refused sign-in writes nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import pytest_asyncio

from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.devtools.fake_atproto.server import did_for_handle
from tests.e2e.browser import Browser
from tests.factories import ALICE, BOB, CAROL, seed_member

JSON = {"Content-Type": "application/json"}


@pytest_asyncio.fixture(loop_scope="session")
async def alice(e2e_env, fake_atproto, browser) -> httpx.AsyncClient:
    fake_atproto.add_account(ALICE, "alice.test")
    await seed_member(e2e_env, ALICE, "alice.test")
    assert (await browser.sign_in(ALICE)).status_code == 303
    return browser.api


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/sign-in", rb'{"account": "\ud800"}'),
        ("/auth/sign-in", rb'{"account": "bob\udfff.test"}'),
        ("/invites", rb'{"invitee": "\ud800"}'),
        ("/invites", rb'{"invitee": "bob.test", "expires_at": "\ud800"}'),
        ("/invites", rb'{"invitee": "bob.test", "\ud800": 1}'),
    ],
)
async def test_a_lone_surrogate_is_a_422_not_a_500(alice, path, body):
    answer = await alice.post(path, content=body, headers=JSON)
    assert answer.status_code == 422, answer.text
    assert isinstance(answer.json()["detail"], list)


async def test_an_expiry_past_year_9999_in_utc_is_a_clear_422(alice, e2e_env):
    before = await e2e_env.row_counts()
    body = {"invitee": "far.test", "expires_at": "9999-12-31T23:59:59-14:00"}

    answer = await alice.post("/invites", json=body)

    assert answer.status_code == 422, answer.text
    assert "out of range" in answer.text
    assert await e2e_env.row_counts() == before


async def test_a_declared_body_over_the_limit_is_413_before_it_is_read(api):
    """Declares 5 MB and sends a few bytes: the answer comes without the rest."""
    url = httpx.URL(str(api.base_url))
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(
            b"POST /auth/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 5242880\r\n\r\n" + b'{"account": "aaaa'
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.read(4096), timeout=5)
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    assert b"65536 bytes" in head and len(head) < 600


async def test_a_chunked_body_over_the_limit_is_413(api):
    async def chunks():
        yield b'{"account": "'
        for _ in range(100):
            yield b"a" * 1024
        yield b'"}'

    answer = await api.post("/auth/sign-in", content=chunks(), headers=JSON)
    assert answer.status_code == 413


async def test_a_body_under_the_limit_is_parsed(api):
    answer = await api.post("/auth/sign-in", json={"account": "a" * 60_000})
    assert answer.status_code == 422


async def test_errors_echo_only_a_short_excerpt(alice):
    long_text = "x" * 30_000
    answers = [
        await alice.post("/auth/sign-in", json={"account": long_text}),
        await alice.post("/invites", json={"invitee": long_text}),
        await alice.post("/invites", json={"invitee": "bob.test", "expires_at": long_text}),
        await alice.post("/invites", json={"invitee": "bob.test", long_text: long_text}),
        await alice.post("/auth/sign-in", json={"account": "@" + "a" * 300}),
    ]
    for answer in answers:
        assert answer.status_code == 422
        assert len(answer.content) < 2000, answer.text[:300]


async def test_options_and_other_methods_list_every_allowed_method(api):
    answer = await api.request("OPTIONS", "/invites")
    assert answer.status_code == 405
    assert set(answer.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert "DELETE" in (await api.request("PATCH", "/invites/x")).headers["allow"]


async def test_inviting_a_members_handle_is_refused(alice, e2e_env):
    await seed_member(e2e_env, BOB, "bob.test")
    before = await e2e_env.row_counts()

    answer = await alice.post("/invites", json={"invitee": "@Bob.Test"})

    assert answer.status_code == 409
    assert "already a member" in answer.json()["detail"]
    assert await e2e_env.row_counts() == before


async def test_a_strangers_refused_sign_in_writes_nothing(e2e_env, fake_atproto, browser):
    """Bluesky vouches for the stranger and hands over tokens; we keep none of it."""
    fake_atproto.add_account(CAROL, "carol.test")
    inviter = await seed_member(e2e_env, ALICE, "alice.test")
    await (await e2e_env.get(CreateInvite)).execute(inviter.id, BOB)
    before = await e2e_env.row_counts()

    done = await browser.sign_in("carol.test")

    assert done.status_code == 403
    assert "no valid invite" in done.json()["detail"]
    assert await e2e_env.row_counts() == before
    assert (await browser.api.get("/me")).status_code == 401


async def test_the_dev_fake_knows_every_dev_test_handle(e2e_env, fake_atproto, browser):
    """serve --dev-bluesky's open *.dev.test handles: anyone can try, nobody is stored."""
    fake_atproto.open_suffix = ".dev.test"
    await seed_member(e2e_env, ALICE, "alice.test")
    before = await e2e_env.row_counts()

    done = await browser.sign_in("stranger.dev.test")

    assert done.status_code == 403
    assert did_for_handle("stranger.dev.test") in done.json()["detail"]
    assert await e2e_env.row_counts() == before


async def test_an_invited_open_handle_gets_in_with_its_tokens_stored(
    e2e_env, fake_atproto, browser
):
    fake_atproto.open_suffix = ".dev.test"
    inviter = await seed_member(e2e_env, ALICE, "alice.test")
    await (await e2e_env.get(CreateInvite)).execute(inviter.id, "friend.dev.test")

    done = await browser.sign_in("friend.dev.test")

    assert done.status_code == 303
    rows = await e2e_env.fetch("SELECT u.handle FROM users u JOIN bluesky_grants o USING (did)")
    assert [r.handle for r in rows] == ["friend.dev.test"]


async def test_a_callback_from_another_browser_leaves_the_sign_in_usable(
    e2e_env, fake_atproto, browser, api
):
    fake_atproto.add_account(BOB, "bob.test")
    inviter = await seed_member(e2e_env, ALICE, "alice.test")
    await (await e2e_env.get(CreateInvite)).execute(inviter.id, BOB)
    started = await browser.start(BOB)
    params = await browser.authorize(started.headers["location"])

    async with httpx.AsyncClient(base_url=api.base_url) as elsewhere:
        replayed = await Browser(elsewhere).callback(params)

    assert replayed.status_code == 400 and "another browser" in replayed.json()["detail"]
    assert (await browser.callback(params)).status_code == 303
