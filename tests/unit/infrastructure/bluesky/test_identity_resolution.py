"""Account resolution against a local HTTP server playing the handle resolver, the PLC
directory and a did:web host: a handle is trusted only when verified both ways, and
each refusal names the problem (the message reaches the person as detail)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from talk_backend.domain.identity import Did, Handle
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.bluesky.identity_resolver import AtprotoIdentityResolver
from tests.fakes.tls import tls_for
from tests.unit.infrastructure.bluesky.network_doubles import (
    FakeResolver,
    RecordingBackend,
    json_response,
    local_routes,
)

ALICE = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
OTHER = "did:plc:44ybard66vv44zksje25o7dz"
PDS = "https://pds.example.com"


def document(did: str = ALICE, handle: str | None = "alice.example.com", **changes: Any) -> Any:
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "alsoKnownAs": [f"at://{handle}"] if handle else [],
        "service": [
            {
                "id": "#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": PDS + "/",
            }
        ],
    }
    doc.update(changes)
    return doc


def handle_answer(handle: str, did: str | None) -> tuple[str, bytes]:
    path = f"/xrpc/com.atproto.identity.resolveHandle?handle={handle}"
    if did is None:
        return path, json_response({"error": "InvalidRequest"}, "400 Bad Request")
    return path, json_response({"did": did})


@asynccontextmanager
async def resolver_for(routes: dict[str, bytes]) -> AsyncIterator[AtprotoIdentityResolver]:
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        base = f"http://127.0.0.1:{server.port}"
        yield AtprotoIdentityResolver(
            http, plc_directory_url=f"{base}/plc", handle_resolver_url=base
        )


async def test_a_handle_verified_both_ways_is_the_account():
    routes = dict([handle_answer("alice.example.com", ALICE)])
    routes[f"/plc/{ALICE}"] = json_response(document())
    async with resolver_for(routes) as resolver:
        account = await resolver.resolve(Handle.parse("alice.example.com"))
    assert account.did == Did.parse(ALICE)
    assert account.handle == Handle.parse("alice.example.com")
    assert account.pds_url == PDS  # without the trailing slash


@pytest.mark.parametrize(
    ("published", "used"),
    [
        ("https://pds.example.com//", "https://pds.example.com"),
        # Only slashes go: a path is kept as published, whatever its last letters.
        ("https://pds.example.com/pds/X/", "https://pds.example.com/pds/X"),
    ],
)
async def test_the_pds_endpoint_is_used_as_published_without_trailing_slashes(published, used):
    routes = dict([handle_answer("alice.example.com", ALICE)])
    service = [
        {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": published}
    ]
    routes[f"/plc/{ALICE}"] = json_response(document(service=service))
    async with resolver_for(routes) as resolver:
        account = await resolver.resolve(Did.parse(ALICE))
    assert account.pds_url == used


async def test_a_handle_that_resolves_to_nothing_is_refused():
    async with resolver_for(dict([handle_answer("alice.example.com", None)])) as resolver:
        with pytest.raises(Exception, match="does not resolve") as refused:
            await resolver.resolve(Handle.parse("alice.example.com"))
    assert str(refused.value) == "handle alice.example.com does not resolve to an account"


@pytest.mark.parametrize("answer", [{"did": "not-a-did"}, {"did": 5}, ["did"], {}])
async def test_a_handle_resolver_answer_without_a_did_is_no_account(answer):
    path = "/xrpc/com.atproto.identity.resolveHandle?handle=alice.example.com"
    async with resolver_for({path: json_response(answer)}) as resolver:
        assert await resolver.resolve_handle(Handle.parse("alice.example.com")) is None


@pytest.mark.parametrize("claimed", ["mallory.example.com", None])
async def test_an_account_that_does_not_claim_the_handle_is_refused(claimed):
    routes = dict([handle_answer("alice.example.com", ALICE)])
    routes[f"/plc/{ALICE}"] = json_response(document(handle=claimed))
    async with resolver_for(routes) as resolver:
        with pytest.raises(Exception, match="does not claim") as refused:
            await resolver.resolve(Handle.parse("alice.example.com"))
    assert str(refused.value) == ("the account behind alice.example.com does not claim that handle")


async def test_a_did_keeps_its_handle_only_if_the_handle_points_back():
    routes = dict([handle_answer("alice.example.com", ALICE)])
    routes[f"/plc/{ALICE}"] = json_response(document())
    async with resolver_for(routes) as resolver:
        account = await resolver.resolve(Did.parse(ALICE))
    assert account.handle == Handle.parse("alice.example.com")
    assert account.pds_url == PDS


@pytest.mark.parametrize(
    "handle_points_to",
    [OTHER, None, "unreachable"],
    ids=["another-did", "no-did", "resolver-fails"],
)
async def test_a_did_whose_handle_does_not_point_back_has_no_handle(handle_points_to):
    routes = {f"/plc/{ALICE}": json_response(document())}
    if handle_points_to == "unreachable":
        path = "/xrpc/com.atproto.identity.resolveHandle?handle=alice.example.com"
        routes[path] = json_response({}, "503 Service Unavailable")
    else:
        routes.update([handle_answer("alice.example.com", handle_points_to)])
    async with resolver_for(routes) as resolver:
        account = await resolver.resolve(Did.parse(ALICE))
    assert account.did == Did.parse(ALICE)
    assert account.handle is None


async def test_an_invalid_claimed_handle_is_no_handle():
    routes = {f"/plc/{ALICE}": json_response(document(handle="not a handle"))}
    async with resolver_for(routes) as resolver:
        account = await resolver.resolve(Did.parse(ALICE))
    assert account.handle is None


@pytest.mark.parametrize(
    ("served", "message"),
    [
        (document(did=OTHER), f"the DID document fetched for {ALICE} names another DID"),
        ({"id": ALICE, "service": "nope"}, f"the DID document of {ALICE} is malformed"),
        (["not", "a", "document"], f"the DID document of {ALICE} is malformed"),
        (document(service=[]), f"{ALICE} names no usable PDS"),
        (
            document(
                service=[
                    {
                        "id": "#atproto_pds",
                        "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": "",
                    }
                ]
            ),
            f"{ALICE} names no usable PDS",
        ),
    ],
    ids=["other-did", "bad-service", "not-an-object", "no-pds", "empty-pds"],
)
async def test_a_did_document_that_cannot_be_used_is_refused_with_its_reason(served, message):
    routes = dict([handle_answer("alice.example.com", ALICE)])
    routes[f"/plc/{ALICE}"] = json_response(served)
    async with resolver_for(routes) as resolver:
        with pytest.raises(Exception, match=r"DID document|no usable PDS") as refused:
            await resolver.resolve(Did.parse(ALICE))
    assert str(refused.value) == message


async def test_a_did_web_document_is_fetched_from_its_host_and_port():
    did = "did:web:bob.example.com%3a8443"
    server_tls, client_tls = tls_for("bob.example.com")
    routes = {"/.well-known/did.json": json_response(document(did=did, handle=None))}
    async with local_routes(routes, tls=server_tls) as server:
        network = RecordingBackend(to_port=server.port)
        http = GuardedHttpClient(
            allow_insecure_loopback=True,
            resolver=FakeResolver({"bob.example.com": ["127.0.0.1"]}),
            network=network,
            ssl_context=client_tls,
        )
        async with http:
            resolver = AtprotoIdentityResolver(http, plc_directory_url="http://127.0.0.1:9")
            account = await resolver.resolve(Did.parse(did))
    assert account.did == Did.parse(did) and account.pds_url == PDS
    assert network.targets == [("127.0.0.1", 8443)]
    assert b"host: bob.example.com:8443\r\n" in server.requests[0].lower()
