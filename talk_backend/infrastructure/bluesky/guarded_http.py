"""HTTP for untrusted URLs: https to public addresses only, no redirects.

Handle domains, did:web hosts, PDS and authorization-server URLs all come from
documents other people control; without this guard they could point the server
at its own network (SSRF). Plain http and loopback are allowed only behind the
explicit development/test switch. Addresses are checked where the connection is
made (pinned_transport), so a second DNS answer cannot slip past the check."""

from __future__ import annotations

import ipaddress
import ssl
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from talk_backend.application.errors import UnsafeUrl, UpstreamFailure
from talk_backend.infrastructure.bluesky.address_policy import AddressPolicy, is_loopback
from talk_backend.infrastructure.bluesky.pinned_transport import (
    GuardedNetworkBackend,
    GuardedTransport,
    Resolver,
    SystemResolver,
)
from talk_backend.infrastructure.origin import origin_of

_MAX_BODY = 256 * 1024
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class NotServed(UpstreamFailure):
    """The server works and answered 4xx: what was asked for is not there. Callers
    that know whose document it is say so (an unknown DID is the person's mistake)."""


class GuardedHttpClient:
    """Owns its httpx client: a caller cannot hand in one that skips the guard.

    `resolver`, `network` and `ssl_context` exist for tests (a fake DNS, a recording
    socket layer, a test CA); production uses the system's."""

    def __init__(
        self,
        *,
        allow_insecure_loopback: bool,
        timeout: float = 10.0,
        resolver: Resolver | None = None,
        network: httpcore.AsyncNetworkBackend | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._allow_loopback = allow_insecure_loopback
        policy = AddressPolicy(allow_loopback=allow_insecure_loopback)
        backend = GuardedNetworkBackend(policy, resolver or SystemResolver(), network)
        transport = GuardedTransport(backend, ssl_context or ssl.create_default_context())
        self._http = httpx.AsyncClient(
            transport=transport, timeout=timeout, trust_env=False, follow_redirects=False
        )

    async def __aenter__(self) -> GuardedHttpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def check_url(self, url: str) -> None:
        """The URL's shape: http(s), no credentials, and plain http only to loopback
        behind the switch. Where the host leads is checked when connecting."""
        parts = urlsplit(url)
        host = parts.hostname
        if parts.username or parts.password:
            # Checked first and never echoed: the credentials are someone's secret, and
            # this message reaches the client.
            raise UnsafeUrl(f"a URL for {host or 'no host'} carries credentials")
        if host is None:
            raise UnsafeUrl(f"not a usable URL: {url!r}")
        if parts.scheme == "https":
            return
        if parts.scheme == "http" and self._allow_loopback and _names_loopback(host):
            return
        # Scheme and host only: a query or path may hold someone's token.
        raise UnsafeUrl(f"only https URLs are allowed, got {parts.scheme}://{host}")

    async def get_json(self, url: str) -> Any:
        response = await self.request("GET", url)
        if response.status_code != 200:
            # The server works and refused: what was asked for does not exist there.
            raise NotServed(f"{origin_of(url)} answered HTTP {response.status_code}")
        return _json(response, url)

    async def request(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        self.check_url(url)
        try:
            async with self._http.stream(method, url, data=data, headers=headers) as response:
                body = await _bounded_body(response, url)
        except httpx.HTTPError as exc:
            raise UpstreamFailure(
                f"could not reach {origin_of(url)}: {type(exc).__name__}"
            ) from None
        if response.status_code >= 500:
            # The server failed, whatever its body says: for every caller (PAR, token
            # exchange and refresh, identity resolution) an outage, never a refusal.
            raise UpstreamFailure(f"{origin_of(url)} answered HTTP {response.status_code}")
        # The body is decoded already: the encoding headers no longer describe it.
        kept = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in _BODY_HEADERS
        ]
        return httpx.Response(
            response.status_code, headers=kept, content=body, request=response.request
        )


async def _bounded_body(response: httpx.Response, url: str) -> bytes:
    """Reads at most _MAX_BODY decoded bytes: a hostile server cannot fill memory."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > _MAX_BODY:
            raise UpstreamFailure(f"{origin_of(url)} sent an oversized response")
    return bytes(body)


def _names_loopback(host: str) -> bool:
    if host == "localhost":
        return True  # where it leads is still checked when connecting
    try:
        return is_loopback(ipaddress.ip_address(host))
    except ValueError:
        return False


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise UpstreamFailure(f"{origin_of(url)} did not answer with JSON") from None
