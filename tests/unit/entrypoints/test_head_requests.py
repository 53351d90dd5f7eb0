"""HEAD as GET without the body, on the ASGI middleware itself: uvicorn drops a HEAD
answer's body on its own, so over real HTTP (tests/e2e) only the status and headers
show; under another ASGI server this middleware is what keeps the body off the wire."""

from __future__ import annotations

from starlette.types import Message

from talk_backend.entrypoints.http.head_requests import HeadAsGet


async def _app(scope, receive, send):
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"x-method", scope["method"].encode())],
        }
    )
    await send({"type": "http.response.body", "body": b"the page"})


async def _call(method: str, path: str) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": []}
    await HeadAsGet(_app)(scope, receive, send)
    return sent


async def test_head_is_answered_as_get_without_the_body():
    start, body = await _call("HEAD", "/")
    assert start["status"] == 200 and start["headers"] == [(b"x-method", b"GET")]
    assert body == {"type": "http.response.body", "body": b""}


async def test_get_keeps_its_body_and_head_under_auth_stays_head():
    assert (await _call("GET", "/"))[1]["body"] == b"the page"
    start, body = await _call("HEAD", "/auth/callback")
    assert start["headers"] == [(b"x-method", b"HEAD")] and body["body"] == b"the page"
