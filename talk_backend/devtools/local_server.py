"""Serve an ASGI app with uvicorn on 127.0.0.1 and a free port, in this event loop
or in a thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported where a server starts: every test run loads the fake atproto fixtures,
    # which bind sockets here, and most never serve anything (uvicorn is ~35 ms).
    import uvicorn
    from starlette.types import ASGIApp


def bind_loopback(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening-ready socket, bound before the app exists so its URL can be configured.

    Accepted connections must have TCP_NODELAY: with Nagle on, a response written in
    two parts waits for the client's delayed ACK (about 40 ms per request on a kept-alive
    connection). asyncio sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP
    (accepted sockets inherit the listener's), so the protocol is spelled out; the option
    is also set on the listener, which Linux copies to accepted sockets."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


def _server(app: ASGIApp, log_level: str, tls: tuple[str, str] | None = None) -> uvicorn.Server:
    import uvicorn

    certfile, keyfile = tls if tls is not None else (None, None)
    # No forwarded headers believed: like `serve` without HTTP__TRUSTED_PROXIES.
    config = uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="on",
        access_log=False,
        proxy_headers=False,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    return uvicorn.Server(config)


@contextlib.asynccontextmanager
async def serving(
    app: ASGIApp,
    *,
    sock: socket.socket | None = None,
    log_level: str = "warning",
    tls: tuple[str, str] | None = None,
) -> AsyncIterator[str]:
    """Runs `app` as a task of the current loop; yields its base URL. With `tls`, a
    (certificate file, key file) pair, it serves https."""
    sock = sock or bind_loopback()
    server = _server(app, log_level, tls)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        url = socket_url(sock)
        yield url.replace("http://", "https://", 1) if tls else url
    finally:
        server.should_exit = True
        try:
            # Bounded like the thread's join below: an open connection would hold
            # uvicorn's graceful shutdown forever.
            await asyncio.wait_for(task, timeout=10)
        finally:
            sock.close()


@contextlib.contextmanager
def serving_in_thread(app: ASGIApp, *, port: int = 0, log_level: str = "warning") -> Iterator[str]:
    """Runs `app` in its own thread and loop: a server truly apart from the caller."""
    sock = bind_loopback(port=port)
    server = _server(app, log_level)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started")
            threading.Event().wait(0.01)
        yield socket_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
