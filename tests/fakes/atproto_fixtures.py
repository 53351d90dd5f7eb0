"""pytest fixtures for the fake atproto services, registered as a plugin by tests/conftest.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from talk_backend.devtools.local_server import bind_loopback, serving_in_thread, socket_url

if TYPE_CHECKING:
    # Imported where used: every pytest run loads this plugin, few serve the fake, and
    # the settings (pydantic, ~0.2 s) are not every unit test's.
    from talk_backend.devtools.fake_atproto import FakeAtproto
    from talk_backend.settings import Settings


@pytest.fixture
def fake_atproto() -> Iterator[FakeAtproto]:
    """Served in a thread of its own: sync, so settings hooks can reach it. Approves at
    once (no consent page): these tests drive the flow without a browser."""
    from talk_backend.devtools.fake_atproto import FakeAtproto

    fake = FakeAtproto(auto_approve=True)
    with serving_in_thread(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def api_socket() -> Iterator[socket.socket]:
    """The API's socket, bound early so its URL can go into the settings."""
    sock = bind_loopback()
    yield sock
    sock.close()


def point_at_fakes(base: Settings, request: pytest.FixtureRequest) -> Settings:
    """Settings hook: the real bluesky group resolves and signs in through the fake."""
    from talk_backend.settings import OAuthSettings

    fake: FakeAtproto = request.getfixturevalue("fake_atproto")
    sock: socket.socket = request.getfixturevalue("api_socket")
    oauth = OAuthSettings(
        public_url=socket_url(sock),
        plc_directory_url=fake.plc_directory_url,
        handle_resolver_url=fake.base_url,
        allow_insecure_loopback=True,
    )
    # The fake is also the entryway: sign-in without an account starts there.
    return base.model_copy(update={"oauth": oauth, "atproto_pds_url": fake.base_url})
