"""Token-endpoint POSTs with DPoP against a local HTTP server that misbehaves the ways
an authorization server can: a nonce demanded without one, a nonce demanded again
right after it was given, an answer that is not JSON. Each says what went wrong; the
nonce dance is one retry, never more. The exception classes are the error mapping's
business; these tests read the messages."""

from __future__ import annotations

import json

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from talk_backend.infrastructure.bluesky.dpop import DpopKey, DpopNonces
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from tests.unit.infrastructure.bluesky.network_doubles import http_response, local_routes

NONCE_PLEASE = json.dumps({"error": "use_dpop_nonce"}).encode()


def proof_nonce(request: bytes, key: DpopKey) -> str | None:
    header = next(line for line in request.split(b"\r\n") if line.lower().startswith(b"dpop:"))
    proof = header.split(b":", 1)[1].strip().decode()
    public = ECKey.import_key(json.loads(key.to_json()))
    return jwt.decode(proof, public, algorithms=["ES256"]).claims.get("nonce")


@pytest.mark.parametrize("status", ["400 Bad Request", "401 Unauthorized"])
async def test_a_demanded_nonce_is_sent_in_the_one_retry(status):
    key = DpopKey.generate()
    routes = {"/token": http_response(status, NONCE_PLEASE, "DPoP-Nonce: n-1\r\n")}
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        poster = DpopPoster(http, DpopNonces())
        answer = await poster.post_form(f"http://127.0.0.1:{server.port}/token", {}, key)
    # One retry, not a loop: the second refusal is the answer the caller reports.
    assert answer == (int(status[:3]), {"error": "use_dpop_nonce"})
    assert len(server.requests) == 2
    assert proof_nonce(server.requests[0], key) is None
    assert proof_nonce(server.requests[1], key) == "n-1"


async def test_a_nonce_demanded_without_one_is_refused_at_once():
    routes = {"/token": http_response("400 Bad Request", NONCE_PLEASE)}
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        poster = DpopPoster(http, DpopNonces())
        with pytest.raises(Exception, match="nonce without") as refused:
            await poster.post_form(f"http://127.0.0.1:{server.port}/token", {}, DpopKey.generate())
    assert str(refused.value) == "the server asked for a DPoP nonce without giving one"
    assert len(server.requests) == 1


async def test_another_status_with_use_dpop_nonce_is_the_answer():
    routes = {"/token": http_response("403 Forbidden", NONCE_PLEASE, "DPoP-Nonce: n-1\r\n")}
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        poster = DpopPoster(http, DpopNonces())
        answer = await poster.post_form(
            f"http://127.0.0.1:{server.port}/token", {}, DpopKey.generate()
        )
    assert answer == (403, {"error": "use_dpop_nonce"})
    assert len(server.requests) == 1


async def test_an_empty_answer_has_no_body_and_one_not_json_is_refused():
    routes = {
        "/revoke": http_response("200 OK", b""),
        "/token": http_response("200 OK", b"<html>hello</html>"),
    }
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        poster = DpopPoster(http, DpopNonces())
        base = f"http://127.0.0.1:{server.port}"
        assert await poster.post_form(f"{base}/revoke", {}, DpopKey.generate()) == (200, None)
        with pytest.raises(Exception, match="JSON") as refused:
            await poster.post_form(f"{base}/token", {}, DpopKey.generate())
    assert str(refused.value) == f"{base} did not answer with JSON"
