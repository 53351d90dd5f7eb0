"""Accepted connections have TCP_NODELAY: with Nagle's algorithm on, a response
written in two parts waits for the client's delayed ACK, about 40 ms per request on a
kept-alive connection. Checked on the server's side of a real accepted connection."""

from __future__ import annotations

import asyncio
import socket

from talk_backend.devtools.local_server import bind_loopback
from talk_backend.entrypoints.http.app import create_app
from talk_backend.entrypoints.http.server import uvicorn_server
from tests.harness import Env, create_env_fixture

fake_env = create_env_fixture()


async def _server_side_nodelay(env: Env, listener: socket.socket) -> list[int]:
    """Serves the app as `talk-backend serve` does, holds a kept-alive connection open
    after one response, and reads TCP_NODELAY on the server's accepted sockets."""
    server = uvicorn_server(
        create_app(env.container, close_container=False), log_level="warning", access_log=False
    )
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            assert not task.done(), "uvicorn stopped before it started"
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        writer.write(b"GET /oauth-client-metadata.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        client_end = writer.get_extra_info("sockname")
        accepted = [
            conn.transport.get_extra_info("socket")
            for conn in server.server_state.connections
            if conn.transport.get_extra_info("peername") == client_end
        ]
        assert len(accepted) == 1, "the kept-alive connection is not among the server's"
        options = [sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for sock in accepted]
        writer.close()
        await writer.wait_closed()
        return options
    finally:
        server.should_exit = True
        await task
        listener.close()


async def test_accepted_connections_have_tcp_nodelay(fake_env):
    assert all(await _server_side_nodelay(fake_env, bind_loopback()))


async def test_the_check_sees_nagle_on_a_listener_made_with_protocol_zero(fake_env):
    """The cause in the issue, kept as a control: asyncio leaves Nagle on when the
    listening socket's protocol is 0, so the check above can fail."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    assert not any(await _server_side_nodelay(fake_env, listener))
