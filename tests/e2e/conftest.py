"""End-to-end fixtures: the real API (uvicorn, 127.0.0.1, random port) with the
real bluesky group, against the fake atproto services in a thread of their own."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from talk_backend.devtools.local_server import serving
from talk_backend.entrypoints.http.app import create_app
from tests.e2e.browser import Browser
from tests.fakes.atproto_fixtures import point_at_fakes
from tests.harness import Env, create_env_fixture

e2e_env = create_env_fixture(
    unmock={"persistence", "bluesky"}, isolation="database", settings=point_at_fakes
)


@pytest_asyncio.fixture(loop_scope="session")
async def api(e2e_env: Env, api_socket: socket.socket) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(e2e_env.container, close_container=False)
    async with serving(app, sock=api_socket) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


@pytest.fixture
def browser(api: httpx.AsyncClient) -> Browser:
    return Browser(api)
