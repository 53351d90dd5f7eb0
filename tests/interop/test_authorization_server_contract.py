"""The AuthorizationServerContract (tests/contract/authorization_server.py) against the
reference PDS: the cases the fake passes, the real server must pass the same way
(client_id rules, redirect_uri, revocation). The person approves on the PDS's own
pages in headless Chromium."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Page

from tests.contract.authorization_server import (
    CLIENT_URL,
    AuthorizationServerContract,
    ServerUnderTest,
)
from tests.interop.flows import enter_password
from tests.interop.servers import Account, ReferenceServers


class TestReferencePdsAuthorizationServer(AuthorizationServerContract):
    @pytest.fixture
    def server(
        self,
        reference_servers: ReferenceServers,
        new_account: Callable[[str], Account],
        page: Page,
    ) -> ServerUnderTest:
        bob = new_account("bob")

        async def approve(authorization_url: str) -> str:
            # Nothing listens at the client's redirect URI: the browser's request there
            # (the PDS redirects to it) is all that counts; its URL has code, state, iss.
            await page.goto(authorization_url)
            await enter_password(page, bob, prefilled=True)
            to_client = page.expect_request(lambda request: request.url.startswith(CLIENT_URL))
            async with to_client as redirected:
                await page.get_by_role("button", name="Authorize", exact=True).click()
            return (await redirected.value).url

        return ServerUnderTest(reference_servers.pds_url, bob.handle, approve)
