"""HEAD is answered as GET without the body (RFC 9110 §9.3.2): FastAPI routes declare
GET only, and Starlette would answer HEAD with 405.

Not under /auth/: its GET (the callback) spends a single-use authorization state, and a
HEAD from a link checker or prefetcher must not sign anyone in or spend it. There,
HEAD gets 405 like any method a route does not declare."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from talk_backend.entrypoints.http.asgi_middleware import HttpMiddleware

_NOT_FOR_HEAD = "/auth/"


class HeadAsGet(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "HEAD" or scope["path"].startswith(_NOT_FOR_HEAD):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
