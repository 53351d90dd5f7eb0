"""The AuthorizationServerContract against the fake atproto services (over HTTP on
127.0.0.1). The interop suite runs the same contract against the reference PDS."""

from __future__ import annotations

import httpx
import pytest

from talk_backend.devtools.fake_atproto import FakeAtproto
from tests.contract.authorization_server import AuthorizationServerContract, ServerUnderTest
from tests.factories import BOB


class TestFakeAuthorizationServer(AuthorizationServerContract):
    @pytest.fixture
    def server(self, fake_atproto: FakeAtproto) -> ServerUnderTest:
        fake_atproto.add_account(BOB, "bob.test")

        async def approve(authorization_url: str) -> str:
            async with httpx.AsyncClient() as browser:  # the fake approves at once
                answer = await browser.get(authorization_url)
            assert answer.status_code == 302, answer.text
            return answer.headers["location"]

        return ServerUnderTest(fake_atproto.base_url, "bob.test", approve)
