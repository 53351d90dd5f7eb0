"""The BlueskySignIn contract, run against the fake and the real atproto client."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
import pytest_asyncio

from talk_backend.application.errors import SignInRejected, UpstreamFailure
from talk_backend.application.ports import AuthorizationCallback, BlueskySignIn
from talk_backend.domain.errors import SignInDeclined
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity
from talk_backend.settings import Settings
from tests.factories import BOB
from tests.fakes.atproto_fixtures import point_at_fakes
from tests.fakes.authorization import callback_from
from tests.fakes.bluesky import FakeBlueskySignIn
from tests.fakes.clock import FakeClock
from tests.harness import create_env_fixture

pytestmark = pytest.mark.integration

fake_env = create_env_fixture()
real_env = create_env_fixture(unmock={"persistence", "bluesky"}, settings=point_at_fakes)


class Driver:
    """Gets a sign-in approved, the way each implementation allows."""

    def __init__(self, sign_in: BlueskySignIn, approve) -> None:
        self.sign_in = sign_in
        self.approve = approve  # redirect -> the callback Bluesky sends back

    async def approved(self, binding: str = "browser-1") -> AuthorizationCallback:
        redirect = await self.sign_in.begin(Did.parse(BOB), binding)
        return await self.approve(redirect)


class BlueskySignInContract:
    """Subclasses provide `driver`; every implementation must pass these."""

    async def test_approved_sign_in_vouches_for_the_account(self, driver):
        identity = (await driver.sign_in.complete(await driver.approved())).identity
        assert identity.did == Did(BOB) and identity.verified_handle == Handle("bob.test")

    async def test_state_is_single_use(self, driver):
        callback = await driver.approved()
        await driver.sign_in.complete(callback)
        with pytest.raises(SignInRejected, match=r"^unknown or already used sign-in state$"):
            await driver.sign_in.complete(callback)

    async def test_the_redirect_names_the_state_that_comes_back(self, driver):
        redirect = await driver.sign_in.begin(Did.parse(BOB), "browser-1")
        assert (await driver.approve(redirect)).state == redirect.state

    async def test_a_sign_in_without_a_browser_binding_is_refused(self, driver):
        with pytest.raises(SignInRejected, match=r"^sign-in needs a browser binding$"):
            await driver.sign_in.begin(Did.parse(BOB), "")

    async def test_another_browser_does_not_use_up_the_state(self, driver):
        callback = await driver.approved()
        with pytest.raises(SignInRejected, match=r"^sign-in was started in another browser$"):
            await driver.sign_in.complete(replace(callback, browser_binding="browser-2"))
        signed_in = await driver.sign_in.complete(callback)
        assert signed_in.identity.did == Did(BOB) and signed_in.grant is not None

    @pytest.mark.parametrize(
        ("changed", "reason"),
        [
            (
                {"iss": "https://evil.example.com"},
                "authorization response came from an unexpected issuer",
            ),
            ({"state": "x" * 43}, "unknown or already used sign-in state"),
            ({"state": "short"}, "unknown or already used sign-in state"),
            # The token endpoint's error code, never its description (which could quote
            # what we sent), is what the person reads.
            ({"code": "not-the-code"}, "the authorization code was not accepted (invalid_grant)"),
            ({"code": None}, "authorization response carries no code"),
        ],
    )
    async def test_a_tampered_callback_is_refused(self, driver, changed, reason):
        callback = await driver.approved()
        with pytest.raises(SignInRejected, match=f"^{re.escape(reason)}$"):
            await driver.sign_in.complete(replace(callback, **changed))


class TestFakeBlueskySignIn(BlueskySignInContract):
    @pytest_asyncio.fixture(loop_scope="session")
    async def driver(self, fake_env) -> Driver:
        bluesky = await fake_env.get(FakeBlueskySignIn)
        fake = bluesky

        async def approve(redirect):
            return fake.approve(redirect.state, VerifiedIdentity(Did(BOB), Handle("bob.test")))

        return Driver(fake, approve)


class TestAtprotoOAuthSignIn(BlueskySignInContract):
    @pytest_asyncio.fixture(loop_scope="session")
    async def driver(self, real_env, fake_atproto) -> Driver:
        fake_atproto.add_account(BOB, "bob.test")

        async def approve(redirect):
            return await callback_from(redirect.url)

        return Driver(await real_env.get(BlueskySignIn), approve)

    async def test_a_par_answered_with_200_is_taken(self, driver, fake_atproto):
        """RFC 9126 says 201; a server answering 200 with a request_uri still works."""
        fake_atproto.par_answer = lambda uri: (200, {"request_uri": uri, "expires_in": 300})
        signed_in = await driver.sign_in.complete(await driver.approved())
        assert signed_in.identity.did == Did(BOB)

    @pytest.mark.parametrize(
        "body", [{"expires_in": 300}, {"request_uri": ""}, ["request_uri"], None]
    )
    async def test_a_par_accepted_without_a_request_uri_is_an_upstream_failure(
        self, driver, fake_atproto, body
    ):
        fake_atproto.par_answer = lambda _uri: (201, body)
        with pytest.raises(UpstreamFailure) as failed:
            await driver.approved()
        assert str(failed.value) == (
            f"{fake_atproto.base_url} accepted the sign-in without a request_uri"
        )

    async def test_a_token_endpoint_refusing_the_client_is_an_upstream_failure(
        self, driver, fake_atproto
    ):
        """Not the person's fault (their code was not what was refused): an upstream
        failure, naming the server's error code and never its description."""
        callback = await driver.approved()
        fake_atproto.token_refusal = "invalid_client"
        with pytest.raises(UpstreamFailure) as failed:
            await driver.sign_in.complete(callback)
        assert str(failed.value) == (
            "the authorization server refused the token exchange (invalid_client)"
        )

    @pytest.mark.parametrize(
        ("error", "kind", "message"),
        [
            (
                "access_denied",
                SignInDeclined,
                "Bluesky refused the sign-in: access_denied (the person declined)",
            ),
            ("server_error", SignInRejected, "Bluesky refused the sign-in: server_error"),
            ("x" * 300, SignInRejected, "Bluesky refused the sign-in: " + "x" * 100),
        ],
    )
    async def test_an_authorization_error_is_named_bounded(self, driver, error, kind, message):
        callback = await driver.approved()
        with pytest.raises(kind) as refused:
            await driver.sign_in.complete(replace(callback, code=None, error=error))
        assert str(refused.value) == message

    async def test_a_callback_at_the_requests_expiry_is_too_late(self, driver, real_env):
        callback = await driver.approved()
        clock = await real_env.get(FakeClock)
        ttl = (await real_env.get(Settings)).oauth.auth_request_ttl_seconds
        clock.advance(timedelta(seconds=ttl))
        with pytest.raises(SignInRejected) as refused:
            await driver.sign_in.complete(callback)
        assert str(refused.value) == "the sign-in took too long; start again"
