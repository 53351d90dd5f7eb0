"""The HTTP edge against hostile clients, over real sockets to uvicorn configured as
`talk-backend serve` configures it (server.uvicorn_server, hosts.served_hosts), with
short limits so a test waits fractions of a second: request smuggling shapes, clients
that never finish a request, too many connections, foreign Host values, a flood of
sign-in starts. Timings are asserted only as behaviour: closed within limit + margin."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from talk_backend.entrypoints.http.app import create_app
from talk_backend.entrypoints.http.hosts import served_hosts
from talk_backend.entrypoints.http.server import uvicorn_server
from talk_backend.settings import HttpSettings, Settings, SignInLimits
from tests.e2e.raw_http import exchange
from tests.factories import BOB
from tests.fakes.atproto_fixtures import point_at_fakes
from tests.harness import Env, create_env_fixture

LIMIT = 0.5  # seconds, header and body deadlines in these tests
MARGIN = 3.0  # a shared 2-core machine: generous, and still far below uvicorn's own 5-30 s
SHUTDOWN_SECONDS = 15  # uvicorn closes idle connections at once; in-flight ones get this
PER_ADDRESS, TOTAL = 2, 3


def _edge_settings(base: Settings, request: pytest.FixtureRequest) -> Settings:
    limits = SignInLimits(per_address_per_minute=PER_ADDRESS, total_per_minute=TOTAL)
    return point_at_fakes(base, request).model_copy(update={"sign_in": limits})


edge_env = create_env_fixture(
    unmock={"persistence", "bluesky"}, isolation="database", settings=_edge_settings
)


@contextlib.asynccontextmanager
async def edge_server(env: Env, listener: socket.socket, **http: object) -> AsyncIterator[int]:
    """The app and server as `serve` builds them; yields the port."""
    settings = await env.get(Settings)
    limits = {"header_timeout_seconds": LIMIT, "body_timeout_seconds": LIMIT, **http}
    app = create_app(env.container, close_container=False, hosts=served_hosts(settings))
    server = uvicorn_server(
        app, log_level="warning", access_log=False, http=HttpSettings.model_validate(limits)
    )
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            assert not task.done(), "uvicorn stopped before it started"
            await asyncio.sleep(0.01)
        yield listener.getsockname()[1]
    finally:
        server.should_exit = True
        # Bounded: a connection the server never lets go (a broken deadline) would
        # otherwise hold the graceful shutdown, and the run, forever.
        try:
            await asyncio.wait_for(task, timeout=SHUTDOWN_SECONDS)
        except TimeoutError:
            pytest.fail(f"the server did not stop within {SHUTDOWN_SECONDS} s")


@pytest_asyncio.fixture(loop_scope="session")
async def port(edge_env, api_socket) -> AsyncIterator[int]:
    async with edge_server(edge_env, api_socket) as bound:
        yield bound


HOST = b"Host: 127.0.0.1\r\n"
SIGN_IN = b"POST /auth/sign-in HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
SMUGGLED = b"GET /me HTTP/1.1\r\n" + HOST + b"\r\n"


# --- request smuggling --------------------------------------------------------------


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    ],
    ids=["cl-then-te", "te-then-cl"],
)
async def test_content_length_with_transfer_encoding_is_400_and_closed(port, framing):
    """Today's server read this as chunked, kept the connection and served the GET
    after the body as a second request."""
    sent = await exchange(port, SIGN_IN + framing + b"\r\n0\r\n\r\n" + SMUGGLED)
    assert sent.statuses == [400], sent.received
    assert sent.received.endswith(
        b'{"detail":"a request must not have both Content-Length and Transfer-Encoding"}'
    ), sent.received
    assert sent.closed


async def test_transfer_encoding_in_http_1_0_is_400_and_closed(port):
    """HTTP/1.0 has no chunked framing (RFC 9112 §6.1): a proxy may read the body
    otherwise."""
    head = SIGN_IN.replace(b"HTTP/1.1", b"HTTP/1.0") + b"Transfer-Encoding: chunked\r\n"
    sent = await exchange(port, head + b"\r\n0\r\n\r\n" + SMUGGLED)
    assert sent.statuses == [400], sent.received
    assert sent.received.endswith(
        b'{"detail":"an HTTP/1.0 request must not have Transfer-Encoding"}'
    ), sent.received
    assert sent.closed


@pytest.mark.parametrize(
    "head",
    [
        SIGN_IN + b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
        SIGN_IN + b"Content-Length: 2, 40\r\n\r\n{}",
        SIGN_IN + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        SIGN_IN + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        SIGN_IN + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
        SIGN_IN.replace(b"HTTP/1.1", b"HTTP/1.0") + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    ids=["two-lengths", "length-list", "te-gzip", "te-twice", "te-unknown", "te-http10"],
)
async def test_no_other_framing_lets_a_second_request_through(port, head):
    """The shapes h11 refuses itself, and HTTP/1.0 with Transfer-Encoding: one answer,
    and never the smuggled GET /me (401) after it."""
    sent = await exchange(port, head + SMUGGLED)
    assert sent.statuses == [400], sent.received
    assert sent.closed


async def test_a_well_framed_request_and_the_next_are_both_served(port):
    """The control for the two tests above: the exchange does see a second answer."""
    sent = await exchange(port, SIGN_IN + b"Content-Length: 2\r\n\r\n[]" + SMUGGLED)
    assert sent.statuses == [422, 401], sent.received


async def test_an_obs_fold_is_read_as_one_header(port):
    """h11 replaces an obs-fold with a space (RFC 9112 §5.2 allows it): the folded
    line is not a header of its own, so it cannot smuggle a Transfer-Encoding."""
    folded = SIGN_IN + b"Content-Length: 2\r\nX-Note: a\r\n Transfer-Encoding: chunked\r\n\r\n[]"
    sent = await exchange(port, folded + SMUGGLED)
    assert sent.statuses == [422, 401], sent.received


# --- slow clients and too many connections --------------------------------------------


async def test_a_connection_that_sends_nothing_is_closed_at_the_header_deadline(port):
    sent = await exchange(port, b"", wait=LIMIT + MARGIN)
    assert sent.closed and sent.received == b""
    assert sent.seconds < LIMIT + MARGIN


async def test_half_the_headers_get_408_at_the_header_deadline(port):
    sent = await exchange(port, b"GET /healthz HTTP/1.1\r\n" + HOST, wait=LIMIT + MARGIN)
    assert sent.statuses == [408] and sent.closed
    assert sent.seconds < LIMIT + MARGIN


async def test_trickled_headers_do_not_extend_the_deadline(port):
    """One header line every 0.1 s would go on for 10 s: the deadline is absolute."""
    lines = [b"GET /healthz HTTP/1.1\r\n"] + [b"X-A: b\r\n"] * 100
    sent = await exchange(port, *lines, pause=0.1, wait=0)
    assert sent.closed, sent.received
    assert sent.seconds < LIMIT + MARGIN


async def test_half_a_body_gets_408_at_the_body_deadline(port, edge_env):
    before = await edge_env.row_counts()
    head = SIGN_IN + b"Content-Length: 100\r\n\r\n"
    sent = await exchange(port, head + b'{"account": "al', wait=LIMIT + MARGIN)
    assert sent.statuses == [408] and sent.closed
    assert sent.seconds < LIMIT + MARGIN
    assert await edge_env.row_counts() == before


async def test_the_header_deadline_is_not_the_body_deadline(edge_env, api_socket):
    """With a long body deadline, a client that sends nothing or half its headers is
    still cut at the (short) header deadline."""
    async with edge_server(edge_env, api_socket, body_timeout_seconds=60) as p:
        idle = await exchange(p, b"", wait=LIMIT + MARGIN)
        half = await exchange(p, b"GET /healthz HTTP/1.1\r\n" + HOST, wait=LIMIT + MARGIN)
    assert idle.closed and idle.seconds < LIMIT + MARGIN
    assert half.statuses == [408] and half.seconds < LIMIT + MARGIN


async def test_the_body_deadline_is_not_the_header_deadline(edge_env, api_socket):
    async with edge_server(edge_env, api_socket, header_timeout_seconds=60) as p:
        half = await exchange(p, SIGN_IN + b"Content-Length: 100\r\n\r\n{", wait=LIMIT + MARGIN)
    assert half.statuses == [408] and half.seconds < LIMIT + MARGIN


async def test_a_kept_alive_connection_gets_a_new_header_deadline(port):
    """The second request on a connection has its own deadline, counted from its
    first byte; the first request's time does not count against it."""
    first = b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\n"
    sent = await exchange(port, first, b"GET /healthz HTTP/1.1\r\n", pause=0.4, wait=MARGIN)
    assert sent.statuses == [200, 408], sent.received
    assert sent.closed


async def test_an_idle_kept_alive_connection_is_not_cut_at_the_header_deadline(port):
    """Between requests uvicorn's keep-alive timeout (5 s) rules: a client that waits
    longer than the header deadline before its next request is still served."""
    request = b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        first = await asyncio.wait_for(reader.readuntil(b"}"), timeout=MARGIN)
        await asyncio.sleep(LIMIT * 3)  # idle: no byte of a next request yet
        writer.write(request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        second = await asyncio.wait_for(reader.read(), timeout=MARGIN)
    finally:
        writer.close()
    assert first.startswith(b"HTTP/1.1 200 "), first
    assert second.startswith(b"HTTP/1.1 200 "), second


async def test_requests_in_time_are_served(port):
    body = b'{"account": "@"}'
    sent = await exchange(
        port,
        SIGN_IN + b"Content-Length: %d\r\n\r\n" % len(body),
        body,
        b"GET /healthz HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n",
        pause=0.1,
    )
    assert sent.statuses == [422, 200], sent.received


async def test_connections_past_the_cap_get_503_and_are_closed(edge_env, api_socket):
    async with edge_server(edge_env, api_socket, max_connections=2, header_timeout_seconds=30) as p:
        held = [await asyncio.open_connection("127.0.0.1", p) for _ in range(2)]
        try:
            await asyncio.sleep(0.2)  # both accepted
            refused = await exchange(p, b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\n")
            assert refused.statuses == [503] and refused.closed
            assert b"retry-after" in refused.received.lower()
            reader, writer = held[-1]  # the cap's last connection is served
            writer.write(b"GET /healthz HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
            answer = await asyncio.wait_for(reader.read(), timeout=MARGIN)
            assert answer.startswith(b"HTTP/1.1 200 "), answer
        finally:
            for _, writer in held:
                writer.close()
        await asyncio.sleep(0.2)  # the held ones are gone: room again
        served = await exchange(p, b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\n", wait=0.5)
        assert served.statuses == [200]


# --- hosts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [b"evil.invalid", b"evil.invalid:80", b"127.0.0.1.evil.invalid", b"127.0.0.1@evil.invalid"],
)
async def test_a_foreign_host_is_400_and_never_echoed(port, host):
    sent = await exchange(port, b"GET /me/ HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
    assert sent.statuses == [400], sent.received
    assert b"evil" not in sent.received
    assert b'{"detail":"this server does not serve the requested host"}' in sent.received
    # A client that names another server is not kept talking to this one.
    assert sent.closed and b"connection: close" in sent.received.lower()


async def test_two_host_headers_are_400(port):
    sent = await exchange(port, b"GET /healthz HTTP/1.1\r\n" + HOST + b"Host: evil.invalid\r\n\r\n")
    assert sent.statuses == [400] and b"evil" not in sent.received and sent.closed


async def test_the_configured_host_and_loopback_are_served(port):
    for host in (b"127.0.0.1:%d" % port, b"localhost", b"[::1]:1"):
        sent = await exchange(port, b"GET /me/ HTTP/1.1\r\nHost: " + host + b"\r\n\r\n", wait=1)
        assert sent.statuses == [307], (host, sent.received)
        assert b"location: http://" + host + b"/me" in sent.received


# --- sign-in starts -------------------------------------------------------------------


async def _sign_in(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await client.post("/auth/sign-in", json={"account": "bob.test"}, headers=headers)


async def test_sign_in_starts_past_the_per_address_limit_get_429(
    port, edge_env, fake_atproto, caplog
):
    fake_atproto.add_account(BOB, "bob.test")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        allowed = [await _sign_in(client) for _ in range(PER_ADDRESS)]
        assert [r.status_code for r in allowed] == [303] * PER_ADDRESS
        pars, before = len(fake_atproto.grants.pars), await edge_env.row_counts()
        # A forged X-Forwarded-For from a peer that is no trusted proxy changes nothing.
        refused = await _sign_in(client, **{"X-Forwarded-For": "198.51.100.7"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "too many sign-in attempts" in refused.json()["detail"]
    assert len(fake_atproto.grants.pars) == pars  # no call to the authorization server
    assert await edge_env.row_counts() == before  # no pending authorization stored


async def test_sign_in_starts_past_the_total_limit_get_429(edge_env, api_socket, fake_atproto):
    """Behind a trusted proxy each X-Forwarded-For address has its own budget; the
    total still caps them all."""
    fake_atproto.add_account(BOB, "bob.test")
    async with (
        edge_server(edge_env, api_socket, trusted_proxies=["127.0.0.1"]) as p,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}") as client,
    ):
        answers = [
            await _sign_in(client, **{"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(TOTAL)
        ]
        assert [r.status_code for r in answers] == [303] * TOTAL
        pars, before = len(fake_atproto.grants.pars), await edge_env.row_counts()
        refused = await _sign_in(client, **{"X-Forwarded-For": "203.0.113.9"})
    assert refused.status_code == 429 and "retry-after" in refused.headers
    assert len(fake_atproto.grants.pars) == pars
    assert await edge_env.row_counts() == before


# --- what the body may be (docs/api.md) -----------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"account": NaN}',
        b'{"account": Infinity}',
        b'{"account": -Infinity}',
        b'{"account": 1e999}',
        b'{"account": [[[-1e400]]]}',
        b'{"account": "bob.test", "extra": NaN}',
        b'{"account": {"nested": [Infinity]}}',
        b'{"account": ' + b"9" * 4000 + b"}",
    ],
)
async def test_numbers_json_cannot_say_back_are_a_422(api, body, caplog):
    with caplog.at_level(logging.ERROR):
        answer = await api.post(
            "/auth/sign-in", content=body, headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 422, answer.text
    assert len(answer.content) < 2000
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "body",
    [
        '{"account": "bob.test"}'.encode("utf-16"),  # with its BOM
        '{"account": "bob.test"}'.encode("utf-16-le"),
        '{"account": "bob.test"}'.encode("utf-32"),
        b'\xef\xbb\xbf{"account": "bob.test"}',  # UTF-8 BOM
        b'{"account": "b\xffob.test"}',
    ],
    ids=["utf16-bom", "utf16le", "utf32", "utf8-bom", "invalid"],
)
async def test_a_body_that_is_not_plain_utf8_is_400(api, e2e_env, body):
    before = await e2e_env.row_counts()
    answer = await api.post(
        "/auth/sign-in", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == "the request body is not UTF-8 JSON"
    assert await e2e_env.row_counts() == before


@pytest.mark.parametrize(
    "content_type",
    [
        "application/foo+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        None,
        "application/json; charset=utf-16",
    ],
)
async def test_a_body_that_is_not_application_json_is_415(api, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    content = json.dumps({"account": "bob.test"}).encode()
    request = api.build_request("POST", "/auth/sign-in", content=content, headers=headers)
    assert request.headers.get("content-type") == content_type
    answer = await api.send(request)
    assert answer.status_code == 415, answer.text
    assert answer.json()["detail"] == "the request body must be application/json (UTF-8)"


async def test_application_json_with_charset_is_json(api):
    answer = await api.post(
        "/auth/sign-in",
        content=b'{"account": "@"}',
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert answer.status_code == 422


@pytest.mark.parametrize("space", ["\u3000", "\u00a0", "\u2028", "\t", " "])
async def test_a_handle_with_whitespace_around_it_is_422(api, space, fake_atproto):
    fake_atproto.add_account(BOB, "bob.test")
    for account in (f"{space}bob.test", f"bob.test{space}"):
        answer = await api.post("/auth/sign-in", json={"account": account})
        assert answer.status_code == 422, (account, answer.text)
        assert "whitespace" in answer.text


async def test_head_is_get_without_the_body(api):
    for path in ("/", "/healthz", "/oauth-client-metadata.json"):
        got, head = await api.get(path), await api.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
    assert (await api.head("/auth/sign-in")).status_code == 405


async def test_head_never_spends_a_sign_in_at_the_callback(api):
    # A link checker's HEAD of a callback URL must not complete (or spend) a sign-in.
    answer = await api.head("/auth/callback?state=anything&code=anything&iss=x")
    assert answer.status_code == 405
    assert "set-cookie" not in answer.headers
