"""What the app's pure ASGI middlewares share: HTTP only, and knowing whether the
answer has started (after that, a failure can no longer become an error response)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SendWatch:
    """Wraps `send`; `started` turns true with the response's first message."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)


class HttpMiddleware:
    """Lifespan and websocket scopes pass straight through; HTTP goes to `handle`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
