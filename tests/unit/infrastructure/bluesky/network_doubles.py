"""Doubles for the SSRF guard's tests: a fake DNS, a socket layer that records where
it was asked to connect (and only ever really connects to 127.0.0.1), and a tiny
HTTP server on 127.0.0.1. No test here sends a packet anywhere else."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpcore

from talk_backend.infrastructure.bluesky.address_policy import IPAddress


class FakeResolver:
    """Answers from a table; a list of answers per host is served one per call
    (the last one repeats), which is how a rebinding DNS server behaves."""

    def __init__(self, answers: dict[str, list[list[str]] | list[str]]) -> None:
        self._answers = answers
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.calls.append(host)
        answer = self._answers.get(host)
        if answer is None:
            raise OSError(f"NXDOMAIN {host}")
        if answer and isinstance(answer[0], list):
            served = sum(1 for h in self.calls if h == host)
            answer = answer[min(served, len(answer)) - 1]
        return [ipaddress.ip_address(a) for a in answer]  # type: ignore[arg-type]


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records every connection asked for; connects only to 127.0.0.1 (anything else
    is a ConnectError), to `to_port` when given: a URL's own port (443) then reaches
    the local server."""

    def __init__(self, to_port: int | None = None) -> None:
        self.connects: list[str] = []
        self.targets: list[tuple[str, int]] = []
        self._to_port = to_port
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append(host)
        self.targets.append((host, port))
        if host != "127.0.0.1":
            raise httpcore.ConnectError(f"test double: no traffic to {host}")
        port = self._to_port or port
        return await self._real.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


@dataclass
class LocalServer:
    port: int
    requests: list[bytes] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)


def http_response(status: str, body: bytes = b"{}", headers: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n{headers}\r\n"
    )
    return head.encode() + body


@asynccontextmanager
async def local_http(
    response: bytes, *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[LocalServer]:
    """Answers every request with `response` (raw HTTP/1.1 bytes)."""
    async with _serving(lambda _target: response, tls) as server:
        yield server


@asynccontextmanager
async def local_routes(
    routes: dict[str, bytes], *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[LocalServer]:
    """Answers a request for a path in `routes` (the query included, as sent) with its
    raw HTTP/1.1 bytes, anything else with 404. Routes may be added once the port is
    known (documents that name their own origin)."""
    async with _serving(
        lambda target: routes.get(target, http_response("404 Not Found")), tls
    ) as server:
        yield server


@asynccontextmanager
async def _serving(
    answer: Callable[[str], bytes], tls: ssl.SSLContext | None
) -> AsyncIterator[LocalServer]:
    """A server on 127.0.0.1 answering each request target with answer(target), then
    closing; it records the request heads and, with TLS, the names clients asked for."""
    server_state = LocalServer(port=0)
    if tls is not None:
        tls.sni_callback = lambda _sock, name, _ctx: server_state.sni.append(name)  # type: ignore[assignment,misc]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            server_state.requests.append(head)
            writer.write(answer(head.split(b" ", 2)[1].decode()))
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    server_state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield server_state


def json_response(document: object, status: str = "200 OK") -> bytes:
    return http_response(status, json.dumps(document).encode())
