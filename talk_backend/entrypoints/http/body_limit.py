"""Refuses request bodies over a size limit before anything parses them.

A pure ASGI middleware: a declared Content-Length over the limit is answered 413 without
reading the body; a chunked (undeclared) body is counted as it streams and refused as
soon as it passes the limit."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from talk_backend.entrypoints.http.asgi_middleware import HttpMiddleware, SendWatch

DEFAULT_MAX_BODY_BYTES = 64 * 1024


class BodyTooLarge(HTTPException):
    """An HTTPException so FastAPI's body reader passes it on instead of calling it a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than {limit} bytes")


class BodySizeLimit(HttpMiddleware):
    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        super().__init__(app)
        self._max = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _content_length(scope)
        if declared is not None and declared > self._max:
            await _answer(BodyTooLarge(self._max), scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max:
                    raise BodyTooLarge(self._max)
            return message

        watched_send = SendWatch(send)
        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge as exc:
            if watched_send.started:
                raise
            await _answer(exc, scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            # The server (h11/httptools) has already refused a malformed value.
            return int(value) if value.isdigit() else None
    return None


async def _answer(exc: BodyTooLarge, scope: Scope, receive: Receive, send: Send) -> None:
    # Connection: close, so the server does not read the unread body as the next request.
    response = JSONResponse({"detail": exc.detail}, 413, headers={"Connection": "close"})
    await response(scope, receive, send)
