"""The body size limit at its edges, on the ASGI app itself: a body of exactly the
limit gets through, one byte more is a 413 whether the Content-Length says so, is
missing (chunked) or lies; and a 413 closes the connection, so the unread rest of the
body is never read as the next request."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from talk_backend.entrypoints.http.body_limit import BodySizeLimit

LIMIT = 32


async def _echo_length(scope, receive, send):
    body = await Request(scope, receive).body()
    await JSONResponse({"received": len(body)})(scope, receive, send)


async def _post(chunks: list[bytes], content_length: int | str | None) -> tuple[int, dict, dict]:
    headers = [(b"content-type", b"application/json")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await BodySizeLimit(_echo_length, max_bytes=LIMIT)(scope, receive, send)
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), json.loads(body)


async def test_a_body_of_exactly_the_limit_gets_through():
    assert (await _post([b"a" * LIMIT], LIMIT))[0::2] == (200, {"received": LIMIT})
    assert (await _post([b"a" * 16, b"a" * 16], None))[0::2] == (200, {"received": LIMIT})


async def test_one_byte_over_with_a_declared_length_is_413_and_closes():
    status, headers, body = await _post([b"a" * (LIMIT + 1)], LIMIT + 1)
    assert (status, body) == (413, {"detail": f"request body is larger than {LIMIT} bytes"})
    assert headers[b"connection"] == b"close"


async def test_one_byte_over_without_a_length_is_413_and_closes():
    status, headers, body = await _post([b"a" * 20, b"a" * 13], None)
    assert (status, body) == (413, {"detail": f"request body is larger than {LIMIT} bytes"})
    assert headers[b"connection"] == b"close"


async def test_a_length_that_understates_the_body_does_not_get_it_through():
    status, headers, _ = await _post([b"a" * 20, b"a" * 20], 10)
    assert status == 413 and headers[b"connection"] == b"close"


async def test_a_malformed_length_is_left_to_the_counting():
    # The server refuses these before the app; the middleware must not crash on one.
    assert (await _post([b"a" * 5], "5x"))[0::2] == (200, {"received": 5})
    assert (await _post([b"a" * (LIMIT + 1)], "5x"))[0] == 413
