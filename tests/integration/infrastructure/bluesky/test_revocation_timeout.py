"""A revocation that hangs is given up, not waited for: the whole revocation is bounded
by twice the HTTP timeout, then logged (without the token) and dropped."""

from __future__ import annotations

import logging
import time

import pytest

from talk_backend.application.oauth_state import OAuthTokens
from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.bluesky.revocation import AtprotoGrantRevocation
from talk_backend.settings import Settings
from tests.factories import BOB
from tests.fakes.atproto_fixtures import point_at_fakes
from tests.harness import create_env_fixture
from tests.integration.infrastructure.bluesky.signed_in import sign_in, stored_tokens

revocation_env = create_env_fixture(unmock={"persistence", "bluesky"}, settings=point_at_fakes)


async def _revocation(env, http_timeout: float) -> AtprotoGrantRevocation:
    settings = await env.get(Settings)
    quick = settings.model_copy(
        update={"oauth": settings.oauth.model_copy(update={"http_timeout_seconds": http_timeout})}
    )
    return AtprotoGrantRevocation(
        await env.get(ClientIdentity),
        await env.get(GuardedHttpClient),
        await env.get(DpopPoster),
        quick,
    )


async def _signed_in_grant(env, fake_atproto) -> OAuthTokens:
    fake_atproto.add_account(BOB, "bob.test")
    await sign_in(env, BOB)
    return OAuthTokens(**(await stored_tokens(env, BOB))._asdict())


async def test_a_hanging_revocation_endpoint_is_given_up(revocation_env, fake_atproto, caplog):
    grant = await _signed_in_grant(revocation_env, fake_atproto)
    revocation = await _revocation(revocation_env, http_timeout=0.5)
    fake_atproto.revocation_delay = 3.0

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="talk_backend.bluesky.revocation"):
        await revocation.revoke(grant)

    assert time.monotonic() - started < 2.5
    assert "failed: TimeoutError" in caplog.text
    assert grant.refresh_token not in caplog.text and grant.access_token not in caplog.text


# Two requests (the refresh token, then the access token), each delayed: a server that
# takes 2 x 0.3 s is within twice a 1 s timeout and gets the grant revoked; one that
# takes 2 x 1.25 s is past it and is given up, though each answer alone was in time
# (the server has ended the grant by then: revoking the refresh token ends it).
@pytest.mark.parametrize(("delay", "in_time"), [(0.3, True), (1.25, False)])
async def test_the_bound_is_twice_the_http_timeout(
    revocation_env, fake_atproto, caplog, delay, in_time
):
    grant = await _signed_in_grant(revocation_env, fake_atproto)
    revocation = await _revocation(revocation_env, http_timeout=1.0)
    fake_atproto.revocation_delay = delay

    with caplog.at_level(logging.WARNING, logger="talk_backend.bluesky.revocation"):
        await revocation.revoke(grant)

    assert ("failed: TimeoutError" in caplog.text) is not in_time
    assert fake_atproto.grants.live_grant(grant.access_token) is None
