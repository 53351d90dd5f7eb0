"""The SSRF guard: public https only, loopback/http only behind the explicit switch,
and the socket goes to exactly the address that was checked (no DNS rebinding).

DNS is a fake (FakeResolver) and the socket layer records every connect and only
really connects to 127.0.0.1: nothing here leaves the machine."""

import asyncio
import gzip
import socket
import time

import pytest

from talk_backend.application.errors import UnsafeUrl, UpstreamFailure
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from tests.fakes.tls import tls_for
from tests.unit.infrastructure.bluesky.network_doubles import (
    FakeResolver,
    RecordingBackend,
    http_response,
    local_http,
)

PUBLIC = "93.184.215.14"
DNS = FakeResolver(
    {
        "public.example.test": [PUBLIC],
        "internal.example.test": ["10.0.0.5"],
        "mixed.example.test": [PUBLIC, "10.0.0.5"],
        "metadata.google.internal": ["169.254.169.254"],
        "ula.example.test": ["fd00::1"],
        "mapped.example.test": ["::ffff:10.1.2.3"],
        "localhost": ["127.0.0.1"],
        "evil-localhost.example.test": ["127.0.0.1"],
    }
)


def guard(
    allow: bool, resolver: FakeResolver = DNS, **kwargs
) -> tuple[GuardedHttpClient, RecordingBackend]:
    network = RecordingBackend()
    client = GuardedHttpClient(
        allow_insecure_loopback=allow, resolver=resolver, network=network, **kwargs
    )
    return client, network


REFUSED_ALWAYS = [
    "https://10.0.0.1/x",
    "https://172.16.3.4/x",
    "https://192.168.1.1/x",
    "https://100.100.100.200/x",  # carrier-grade NAT; Alibaba's metadata service
    "https://169.254.169.254/latest/meta-data",  # link-local; AWS/GCP/Azure metadata
    "https://[fe80::1]/x",  # IPv6 link-local
    "https://[fd00:ec2::254]/x",  # ULA; AWS's IPv6 metadata service
    "https://[fc00::1]/x",
    "https://[::ffff:10.0.0.1]/x",  # IPv4-mapped private
    "https://[::ffff:169.254.169.254]/x",
    "https://[64:ff9b::a00:1]/x",  # NAT64 of 10.0.0.1
    "https://[2002:a00:1::1]/x",  # 6to4 of 10.0.0.1
    "https://0.0.0.0/x",
    "https://[::]/x",
    "https://224.0.0.1/x",
    "https://internal.example.test/x",
    "https://mixed.example.test/x",  # one private answer spoils the lot
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://ula.example.test/x",
    "https://mapped.example.test/x",
    "https://unknown.example.test/x",  # does not resolve
    "http://93.184.215.14/x",  # public, but not https
    "http://public.example.test/x",
    "http://evil-localhost.example.test/x",  # http only to loopback by name or literal
    "https://user:pw@93.184.215.14/x",
    "file:///etc/passwd",
    "ftp://public.example.test/x",
]
LOOPBACK = [
    "https://127.0.0.1/x",
    "https://127.1.2.3/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",  # IPv4-mapped loopback
    "https://localhost/x",
    "https://evil-localhost.example.test/x",
]


@pytest.mark.parametrize(
    ("switch", "url"),
    # Without the switch everything here is refused; the switch opens loopback only.
    [(False, url) for url in REFUSED_ALWAYS + LOOPBACK] + [(True, url) for url in REFUSED_ALWAYS],
)
async def test_refused_and_nothing_is_connected(switch, url):
    client, network = guard(switch)
    with pytest.raises(UnsafeUrl):
        await client.request("GET", url)
    assert network.connects == []


async def test_a_refusal_names_the_host_that_resolved_badly():
    client, network = guard(False)
    with pytest.raises(UnsafeUrl) as refused:
        await client.request("GET", "https://internal.example.test/x")
    assert str(refused.value) == "internal.example.test resolves to a non-public address"
    assert network.connects == []


@pytest.mark.parametrize("url", LOOPBACK)
async def test_the_switch_opens_loopback(url):
    client, network = guard(True)
    # The double refuses to connect; what matters is that the guard let it try.
    with pytest.raises(UpstreamFailure, match="could not reach") as refused:
        await client.request("GET", url)
    assert not isinstance(refused.value, UnsafeUrl)
    assert len(network.connects) == 1


async def test_public_https_connects_to_the_checked_address():
    client, network = guard(False)
    with pytest.raises(UpstreamFailure) as failed:
        await client.request("GET", "https://public.example.test/.well-known/atproto-did")
    assert network.connects == [PUBLIC]
    # The origin and the kind of failure, nothing of the request.
    assert str(failed.value) == "could not reach https://public.example.test: ConnectError"


async def test_proxies_from_the_environment_are_not_used(monkeypatch):
    """The guard checks the address it connects to: a proxy from the environment would
    be connected to instead (and would reach whatever the URL names). Today the client's
    own transport keeps httpx from reading them, so `trust_env=False` alone changes
    nothing (equivalents.toml); this fails when the client is built another way, with
    httpx's default transport, `proxy=` or `mounts=`."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    client, network = guard(True)
    async with local_http(http_response("200 OK", b'{"ok": true}')) as server:
        response = await client.request("GET", f"http://127.0.0.1:{server.port}/x")
    assert response.json() == {"ok": True}
    assert network.targets == [("127.0.0.1", server.port)]


async def test_a_server_that_does_not_answer_is_given_up_at_the_timeout():
    async def silent(reader, writer):
        await reader.read()  # until the client gives up and closes

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client, _ = guard(True, timeout=0.3)
    async with server:
        started = time.monotonic()
        with pytest.raises(UpstreamFailure) as failed:
            await asyncio.wait_for(client.request("GET", f"http://127.0.0.1:{port}/"), 10)
    # The timeout given, not httpx's own default of 5 s.
    assert time.monotonic() - started < 3
    assert str(failed.value) == f"could not reach http://127.0.0.1:{port}: ReadTimeout"


async def test_a_server_that_never_accepts_is_given_up_at_the_connect_timeout():
    """A host whose accept queue is full never completes the handshake: the connect is
    given up at the timeout (passed down through the guard to the socket layer), not
    waited on for as long as the kernel keeps retrying."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))  # the one place in the queue
    client, _ = guard(True, timeout=0.3)
    try:
        started = time.monotonic()
        with pytest.raises(UpstreamFailure) as failed:
            await asyncio.wait_for(client.request("GET", f"http://127.0.0.1:{port}/"), 10)
    finally:
        filler.close()
        listener.close()
    assert time.monotonic() - started < 3
    assert str(failed.value) == f"could not reach http://127.0.0.1:{port}: ConnectTimeout"


async def test_a_compressed_answer_is_read_once_decoded():
    """The body comes back decoded: the headers that described the encoding go with it."""
    packed = gzip.compress(b'{"ok": true}')
    answer = http_response("200 OK", packed, headers="Content-Encoding: gzip\r\n")
    client, _ = guard(True)
    async with local_http(answer) as server:
        response = await client.request("GET", f"http://127.0.0.1:{server.port}/x")
    assert response.json() == {"ok": True}
    assert "content-encoding" not in response.headers


async def test_a_rebinding_dns_answer_is_never_connected_to():
    """First answer public, every later one loopback: the connection uses the answer
    that was checked, and the next connection's answer is checked anew."""
    rebinding = FakeResolver({"rebind.example.test": [[PUBLIC], ["127.0.0.1"]]})
    client, network = guard(False, rebinding)
    with pytest.raises(UpstreamFailure, match="could not reach"):
        await client.request("GET", "https://rebind.example.test/x")
    assert rebinding.calls == ["rebind.example.test"]  # one lookup: checked and used
    with pytest.raises(UnsafeUrl):
        await client.request("GET", "https://rebind.example.test/x")
    assert network.connects == [PUBLIC]


async def test_pinned_connection_keeps_the_hostname_in_the_host_header():
    client, network = guard(True)
    async with local_http(http_response("200 OK", b'{"ok": true}')) as server:
        response = await client.request("GET", f"http://localhost:{server.port}/x")
    assert response.json() == {"ok": True}
    assert network.connects == ["127.0.0.1"]
    assert f"host: localhost:{server.port}".encode() in server.requests[0].lower()


async def test_tls_is_verified_for_the_hostname_not_the_pinned_address():
    server_tls, client_tls = tls_for("pds.example.test")
    dns = FakeResolver({"pds.example.test": ["127.0.0.1"], "other.example.test": ["127.0.0.1"]})
    client, network = guard(True, dns, ssl_context=client_tls)
    async with local_http(http_response("200 OK"), tls=server_tls) as server:
        ok = await client.request("GET", f"https://pds.example.test:{server.port}/x")
        assert ok.status_code == 200
        assert server.sni == ["pds.example.test"]
        # Same address, but the certificate does not name this host: refused.
        with pytest.raises(UpstreamFailure, match="could not reach"):
            await client.request("GET", f"https://other.example.test:{server.port}/x")
    assert network.connects == ["127.0.0.1", "127.0.0.1"]


async def test_no_redirects_are_followed():
    client, network = guard(True)
    redirect = http_response("302 Found", b"", "Location: http://10.0.0.1/\r\n")
    async with local_http(redirect) as server:
        response = await client.request("GET", f"http://127.0.0.1:{server.port}/x")
    assert response.status_code == 302
    assert network.connects == ["127.0.0.1"]


async def test_a_server_error_is_an_upstream_failure_whatever_its_body():
    client, _ = guard(True)
    body = b'{"error": "invalid_grant"}'
    failing = http_response("503 Service Unavailable", body)
    async with local_http(failing) as server:
        with pytest.raises(UpstreamFailure, match="answered HTTP 503"):
            await client.request("POST", f"http://127.0.0.1:{server.port}/token")


async def test_an_oversized_body_is_refused():
    client, _ = guard(True)
    async with local_http(http_response("200 OK", b"x" * (300 * 1024))) as server:
        with pytest.raises(UpstreamFailure, match="oversized"):
            await client.request("GET", f"http://127.0.0.1:{server.port}/x")


@pytest.mark.parametrize(
    "url", ["https://user:s3cret@public.example.test/x", "https://user:s3cret@/x"]
)
async def test_a_url_with_credentials_is_refused_without_echoing_them(url):
    client, network = guard(True)
    with pytest.raises(UnsafeUrl, match="carries credentials") as refused:
        await client.request("GET", url)
    assert "s3cret" not in str(refused.value)
    assert network.connects == []


async def test_a_name_is_resolved_by_the_system_and_connected_to():
    """No test DNS: `localhost` through the system resolver (getaddrinfo), which may
    answer ::1 first; the server listens on 127.0.0.1 only, so the next address is tried."""
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as client,
        local_http(http_response("200 OK", b'{"ok": true}')) as server,
    ):
        response = await client.request("GET", f"http://localhost:{server.port}/x")
    assert response.json() == {"ok": True}
    assert f"host: localhost:{server.port}".encode() in server.requests[0].lower()


async def test_a_body_of_exactly_256_kib_is_read_and_one_byte_more_is_not():
    client, _ = guard(True)
    limit = 256 * 1024
    async with local_http(http_response("200 OK", b"x" * limit)) as server:
        response = await client.request("GET", f"http://127.0.0.1:{server.port}/x")
    assert len(response.content) == limit
    async with local_http(http_response("200 OK", b"x" * (limit + 1))) as server:
        with pytest.raises(UpstreamFailure, match="oversized"):
            await client.request("GET", f"http://127.0.0.1:{server.port}/x")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://public.example.test/x?token=s3cret",
            "only https URLs are allowed, got http://public.example.test",
        ),
        (
            "ftp://public.example.test/x",
            "only https URLs are allowed, got ftp://public.example.test",
        ),
        ("https:///x", "not a usable URL: 'https:///x'"),
        ("https://unknown.example.test/x", "cannot resolve host 'unknown.example.test'"),
        ("https://user@public.example.test/x", "a URL for public.example.test carries credentials"),
        ("https://:pw@/x", "a URL for no host carries credentials"),
    ],
)
async def test_a_refused_url_is_named_by_scheme_and_host_only(url, message):
    """These messages reach the person (detail): scheme and host, never a path, query
    or credentials someone put in a document."""
    client, network = guard(False)
    with pytest.raises(UnsafeUrl) as refused:
        await client.request("GET", url)
    assert str(refused.value) == message
    assert network.connects == []


async def test_answers_are_named_by_the_servers_origin():
    client, _ = guard(True)
    async with local_http(http_response("500 Internal Server Error")) as server:
        origin = f"http://127.0.0.1:{server.port}"
        with pytest.raises(UpstreamFailure) as failed:
            await client.request("GET", f"{origin}/x?token=s3cret")
    assert str(failed.value) == f"{origin} answered HTTP 500"
    async with local_http(http_response("404 Not Found")) as server:
        origin = f"http://127.0.0.1:{server.port}"
        with pytest.raises(Exception, match="answered HTTP 404") as refused:
            await client.get_json(f"{origin}/x")
    assert str(refused.value) == f"{origin} answered HTTP 404"
    async with local_http(http_response("200 OK", b"<html>")) as server:
        origin = f"http://127.0.0.1:{server.port}"
        with pytest.raises(UpstreamFailure) as failed:
            await client.get_json(f"{origin}/x")
    assert str(failed.value) == f"{origin} did not answer with JSON"
    async with local_http(http_response("200 OK", b"x" * (300 * 1024))) as server:
        origin = f"http://127.0.0.1:{server.port}"
        with pytest.raises(UpstreamFailure) as failed:
            await client.request("GET", f"{origin}/x")
    assert str(failed.value) == f"{origin} sent an oversized response"
