"""Only the configured host is served: a request naming another Host gets 400, and
the name is never echoed (redirects, like the trailing-slash one, build their Location
from Host; a page cached under a foreign name must not exist either)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from talk_backend.entrypoints.http.asgi_middleware import HttpMiddleware
from talk_backend.settings import Environment, Settings

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def served_hosts(settings: Settings) -> frozenset[str]:
    """OAUTH__PUBLIC_URL's host, HTTP__EXTRA_HOSTS, and loopback outside production."""
    public = urlsplit(settings.oauth.public_url).hostname or ""
    hosts = {public, *settings.http.extra_hosts}
    if settings.environment is not Environment.PRODUCTION:
        hosts |= LOOPBACK
    return frozenset(hosts)


def host_name(header: bytes) -> str | None:
    """The name in a Host header without its port; None when it is not a plain
    host[:port] (userinfo, a path, spaces: nothing a client library would send)."""
    try:
        text = header.decode("ascii").lower()
    except UnicodeDecodeError:
        return None
    if text.startswith("["):  # an IPv6 literal: [::1]:8000
        name, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        return name
    name, colon, port = text.partition(":")
    if colon and port and not port.isdigit():  # an empty port is allowed (RFC 3986)
        return None
    if not name or any(c in name for c in "/\\@?# \t"):
        return None
    return name


class AllowedHosts(HttpMiddleware):
    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        super().__init__(app)
        self._hosts = hosts

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        values = [value for name, value in scope["headers"] if name == b"host"]
        if len(values) == 1 and host_name(values[0]) in self._hosts:
            await self.app(scope, receive, send)
            return
        detail = "this server does not serve the requested host"
        response = JSONResponse({"detail": detail}, 400, headers={"Connection": "close"})
        await response(scope, receive, send)
