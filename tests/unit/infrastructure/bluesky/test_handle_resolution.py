"""Handle -> DID without a handle-resolver service, as atproto specifies it: a DNS TXT
record at _atproto.<handle> ("did=<did>"), else https://<handle>/.well-known/atproto-did.

A real DNS server on 127.0.0.1 (dnspython's wire format over UDP) answers the TXT
queries; the well-known document is served over TLS by a local server under the
handle's name (a test CA), reached through the SSRF guard with a fake DNS and a socket
layer that only ever connects to 127.0.0.1. Nothing here leaves the machine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import dns.asyncresolver
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from talk_backend.domain.identity import Did, Handle
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.bluesky.identity_resolver import AtprotoIdentityResolver
from tests.fakes.tls import tls_for
from tests.unit.infrastructure.bluesky.network_doubles import (
    FakeResolver,
    RecordingBackend,
    http_response,
    local_http,
)

ALICE = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
BOB = "did:plc:44ybard66vv44zksje25o7dz"
WEB_HOST = "bob.example.com"


class _DnsServer(asyncio.DatagramProtocol):
    """Answers TXT queries from a table of name -> TXT records (each a list of
    character-strings); any other name is NXDOMAIN."""

    def __init__(self, records: dict[str, list[list[bytes]]]) -> None:
        self.records = {name.lower().rstrip(".") + ".": txts for name, txts in records.items()}
        self.questions: list[str] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name = question.name.to_text().lower()
        self.questions.append(name)
        response = dns.message.make_response(query)
        txts = self.records.get(name)
        if txts is None or question.rdtype != dns.rdatatype.TXT:
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            texts = [" ".join(_quoted(part) for part in txt) for txt in txts]
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", "TXT", texts))
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


def _quoted(part: bytes) -> str:
    return (
        '"'
        + "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\{b:03d}" for b in part)
        + '"'
    )


@asynccontextmanager
async def dns_server(
    monkeypatch: pytest.MonkeyPatch, records: dict[str, list[list[bytes]]]
) -> AsyncIterator[_DnsServer]:
    protocol = _DnsServer(records)
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: protocol, local_addr=("127.0.0.1", 0)
    )
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = transport.get_extra_info("sockname")[1]
    monkeypatch.setattr(dns.asyncresolver, "default_resolver", resolver)
    try:
        yield protocol
    finally:
        transport.close()


@asynccontextmanager
async def well_known(response: bytes) -> AsyncIterator[tuple[AtprotoIdentityResolver, list[bytes]]]:
    """A resolver without a handle-resolver service whose https reaches a local server
    answering as bob.example.com."""
    server_tls, client_tls = tls_for(WEB_HOST)
    async with local_http(response, tls=server_tls) as server:
        http = GuardedHttpClient(
            allow_insecure_loopback=True,
            resolver=FakeResolver({WEB_HOST: ["127.0.0.1"]}),
            network=RecordingBackend(to_port=server.port),
            ssl_context=client_tls,
        )
        async with http:
            yield (
                AtprotoIdentityResolver(http, plc_directory_url="http://127.0.0.1:9"),
                server.requests,
            )


def did_text(did: str) -> bytes:
    return http_response("200 OK", f"{did}\n".encode(), "").replace(
        b"application/json", b"text/plain"
    )


async def test_the_dns_txt_record_names_the_did(monkeypatch):
    records = {"_atproto.alice.example.com": [[f"did={ALICE}".encode()]]}
    async with (
        dns_server(monkeypatch, records) as server,
        well_known(did_text(BOB)) as (
            resolver,
            requests,
        ),
    ):
        did = await resolver.resolve_handle(Handle.parse("alice.example.com"))
    assert did == Did.parse(ALICE)
    assert server.questions == ["_atproto.alice.example.com."]
    assert requests == []  # DNS answered: no https request


async def test_a_txt_record_split_into_strings_is_read_whole(monkeypatch):
    """Long TXT records come as several character-strings; they form one text."""
    records = {"_atproto.alice.example.com": [[b"did=did:plc:ewvi7nxz", b"youn6zhxrhs64oiz"]]}
    async with dns_server(monkeypatch, records), well_known(did_text(BOB)) as (resolver, _):
        did = await resolver.resolve_handle(Handle.parse("alice.example.com"))
    assert did == Did.parse(ALICE)


async def test_other_txt_records_are_ignored(monkeypatch):
    records = {
        "_atproto.alice.example.com": [
            [b"v=spf1 -all"],
            [b"\xff\xfe not text"],
            [b"did= did:plc:ewvi7nxzyoun6zhxrhs64oiz"],
            [f"did={ALICE}".encode()],
        ]
    }
    async with dns_server(monkeypatch, records), well_known(did_text(BOB)) as (resolver, _):
        did = await resolver.resolve_handle(Handle.parse("alice.example.com"))
    assert did == Did.parse(ALICE)


async def test_two_different_dids_in_dns_are_trusted_neither(monkeypatch):
    """A misconfigured domain: the well-known document decides (here: bob's)."""
    records = {
        f"_atproto.{WEB_HOST}": [
            [f"did={ALICE}".encode()],
            [b"did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"],
        ]
    }
    async with dns_server(monkeypatch, records), well_known(did_text(BOB)) as (resolver, requests):
        did = await resolver.resolve_handle(Handle.parse(WEB_HOST))
    assert did == Did.parse(BOB)
    assert len(requests) == 1


async def test_the_same_did_twice_in_dns_is_that_did(monkeypatch):
    records = {f"_atproto.{WEB_HOST}": [[f"did={ALICE}".encode()], [f"did={ALICE}".encode()]]}
    async with dns_server(monkeypatch, records), well_known(did_text(BOB)) as (resolver, _):
        did = await resolver.resolve_handle(Handle.parse(WEB_HOST))
    assert did == Did.parse(ALICE)


async def test_without_a_txt_record_the_well_known_document_names_the_did(monkeypatch):
    async with dns_server(monkeypatch, {}), well_known(did_text(BOB)) as (resolver, requests):
        did = await resolver.resolve_handle(Handle.parse(WEB_HOST))
    assert did == Did.parse(BOB)
    (request,) = requests
    assert request.startswith(b"GET /.well-known/atproto-did HTTP/1.1\r\n")
    assert f"host: {WEB_HOST}\r\n".encode() in request.lower()


@pytest.mark.parametrize(
    "response",
    [
        http_response("404 Not Found", BOB.encode()),
        http_response("200 OK", b"not a did"),
        http_response("200 OK", b""),
    ],
    ids=["404", "not-a-did", "empty"],
)
async def test_a_handle_neither_dns_nor_the_domain_vouches_for_has_no_did(monkeypatch, response):
    async with dns_server(monkeypatch, {}), well_known(response) as (resolver, _):
        assert await resolver.resolve_handle(Handle.parse(WEB_HOST)) is None
