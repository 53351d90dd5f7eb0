"""A revocation that hangs is given up, not waited for: the whole revocation is bounded
by twice the HTTP timeout, then logged (without the token) and dropped."""

from __future__ import annotations

import logging
import time

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


async def test_a_hanging_revocation_endpoint_is_given_up(revocation_env, fake_atproto, caplog):
    fake_atproto.add_account(BOB, "bob.test")
    await sign_in(revocation_env, BOB)
    grant = OAuthTokens(**(await stored_tokens(revocation_env, BOB))._asdict())
    settings = await revocation_env.get(Settings)
    quick = settings.model_copy(
        update={"oauth": settings.oauth.model_copy(update={"http_timeout_seconds": 0.5})}
    )
    revocation = AtprotoGrantRevocation(
        await revocation_env.get(ClientIdentity),
        await revocation_env.get(GuardedHttpClient),
        await revocation_env.get(DpopPoster),
        quick,
    )
    fake_atproto.revocation_delay = 3.0

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="talk_backend.bluesky.revocation"):
        await revocation.revoke(grant)

    assert time.monotonic() - started < 2.5
    assert "failed: TimeoutError" in caplog.text
    assert grant.refresh_token not in caplog.text and grant.access_token not in caplog.text
