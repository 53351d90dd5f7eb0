"""HTTP for untrusted URLs: https to public addresses only, no redirects.

Handle domains, did:web hosts, PDS and authorization-server URLs all come from
documents other people control; without this guard they could point the server
at its own network (SSRF). Plain http and loopback are allowed only behind the
explicit development/test switch."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx

from talk_backend.domain.errors import SignInFailed

_MAX_BODY = 256 * 1024


class UnsafeUrl(SignInFailed):
    """A URL from the resolution chain points somewhere this server must not go."""


def _loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_loopback


class GuardedHttpClient:
    def __init__(self, http: httpx.AsyncClient, *, allow_insecure_loopback: bool) -> None:
        self._http = http
        self._allow_loopback = allow_insecure_loopback

    async def check(self, url: str) -> None:
        """Raises UnsafeUrl unless every address the host resolves to is allowed."""
        parts = urlsplit(url)
        host = parts.hostname
        if host is None or parts.username or parts.password:
            raise UnsafeUrl(f"not a usable URL: {url!r}")
        addresses = await _addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
        loopback = all(_loopback(a) for a in addresses)
        if self._allow_loopback and loopback and parts.scheme in ("http", "https"):
            return
        if parts.scheme != "https":
            raise UnsafeUrl(f"only https URLs are allowed, got {url!r}")
        for address in addresses:
            if not address.is_global:
                raise UnsafeUrl(f"{host} resolves to a non-public address")

    async def get_json(self, url: str) -> Any:
        response = await self.request("GET", url)
        if response.status_code != 200:
            raise SignInFailed(f"{_origin(url)} answered HTTP {response.status_code}")
        return _json(response, url)

    async def request(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        await self.check(url)
        try:
            response = await self._http.request(
                method, url, data=data, headers=headers, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            raise SignInFailed(f"could not reach {_origin(url)}: {type(exc).__name__}") from None
        if len(response.content) > _MAX_BODY:
            raise SignInFailed(f"{_origin(url)} sent an oversized response")
        return response


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SignInFailed(f"{_origin(url)} did not answer with JSON") from None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise UnsafeUrl(f"cannot resolve host {host!r}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
