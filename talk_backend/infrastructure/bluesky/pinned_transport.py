"""An httpx transport that resolves, checks and connects in one step.

Checking a host's addresses and then letting httpx resolve it again leaves a gap a
DNS-rebinding attacker can use: the second answer need not be the first. Here the
network backend under httpcore resolves the host itself, checks every address
against the policy and connects to exactly those addresses. The URL, the Host
header and TLS (SNI and certificate check) keep the hostname, because httpcore
still knows the origin; only the socket is aimed at the checked address."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Protocol

import httpcore
import httpx

from talk_backend.application.errors import UnsafeUrl
from talk_backend.infrastructure.bluesky.address_policy import AddressPolicy, IPAddress


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address the host has; raises OSError when it has none."""


class SystemResolver:
    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        # Scoped IPv6 addresses come back as "fe80::1%eth0"; the scope is not part of the address.
        return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    def __init__(
        self,
        policy: AddressPolicy,
        resolver: Resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._addresses(host, port)
        self._policy.check(host, addresses)
        error: Exception | None = None
        for address in dict.fromkeys(addresses):  # in the resolver's order, once each
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeUrl("unix sockets are not reachable from untrusted URLs")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        try:
            return await self._resolver.resolve(host, port)
        except (OSError, ValueError):
            raise UnsafeUrl(f"cannot resolve host {host!r}") from None


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool built on the guarded backend
    (httpx offers no public way to pass a network backend)."""

    def __init__(self, backend: GuardedNetworkBackend, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx's default limits. A kept-alive connection stays on the address it was
        # checked for; after keepalive_expiry the host is resolved and checked anew.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            network_backend=backend,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
        )
