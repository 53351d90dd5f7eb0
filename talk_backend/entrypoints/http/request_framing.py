"""Requests whose body framing two parsers could read differently are refused.

h11 already refuses conflicting Content-Length values, a Transfer-Encoding other than
`chunked`, and bad chunk sizes (400, connection closed); it replaces an obs-fold with a
space, as RFC 9112 §5.2 allows. It does read a request carrying both Content-Length and
Transfer-Encoding as chunked and keeps the connection: a proxy in front that honours
Content-Length would then see the rest of the bytes as a second request (smuggling).
RFC 9112 §6.1 lets a server refuse such a request and requires the connection be closed
afterwards; both are done here, in the app, so they hold whatever the HTTP parser is.
Transfer-Encoding in an HTTP/1.0 request is refused for the same reason (§6.1)."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from talk_backend.entrypoints.http.asgi_middleware import HttpMiddleware


def framing_problem(scope: Scope) -> str | None:
    names = {name for name, _ in scope["headers"]}
    if b"transfer-encoding" not in names:
        return None
    if b"content-length" in names:
        return "a request must not have both Content-Length and Transfer-Encoding"
    if scope["http_version"] == "1.0":
        return "an HTTP/1.0 request must not have Transfer-Encoding"
    return None


class RequestFraming(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = framing_problem(scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        # Connection: close makes the server close once this answer is sent, so no
        # byte after the headers is ever read as a request.
        response = JSONResponse({"detail": problem}, 400, headers={"Connection": "close"})
        await response(scope, receive, send)
