"""A confidential client (private_key_jwt) against the fake authorization server, as
the real one needs it: the app serves its metadata and JWKS over https on a reserved
non-local name (talk.internal, mapped to 127.0.0.1 for the fake only) with a
self-signed certificate the fake trusts. The fake fetches both, verifies the client
assertions of PAR, code exchange and revocation against the JWKS, and refuses what
the real server refuses."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio
import uvicorn
from joserfc.jwk import ECKey
from pydantic import SecretStr

from talk_backend.application.errors import AuthorizationRefused
from talk_backend.application.ports import (
    AuthorizationCallback,
    BlueskyGrantRevocation,
    BlueskySignIn,
)
from talk_backend.devtools.fake_atproto import FakeAtproto
from talk_backend.domain.identity import Did
from talk_backend.entrypoints.http.app import create_app
from talk_backend.entrypoints.http.hosts import served_hosts
from talk_backend.infrastructure.bluesky.token_refresh import AtprotoTokenRefresher
from talk_backend.settings import Settings
from tests.factories import BOB
from tests.fakes.atproto_fixtures import point_at_fakes
from tests.fakes.clock import FakeClock
from tests.fakes.tls import tls_for
from tests.harness import create_env_fixture
from tests.integration.infrastructure.bluesky.signed_in import sign_in, stored_tokens

NAME = "talk.internal"
CLIENT_KEY = ECKey.generate_key("P-256", private=True).as_pem(private=True).decode()


def confidential_at_fakes(base, request):
    """point_at_fakes, as a confidential client on https://talk.internal:PORT."""
    settings = point_at_fakes(base, request)
    port = request.getfixturevalue("api_socket").getsockname()[1]
    oauth = settings.oauth.model_copy(
        update={"public_url": f"https://{NAME}:{port}", "private_key": SecretStr(CLIENT_KEY)}
    )
    return settings.model_copy(update={"oauth": oauth})


confidential_env = create_env_fixture(
    unmock={"persistence", "bluesky"}, isolation="database", settings=confidential_at_fakes
)


@pytest_asyncio.fixture(loop_scope="session")
async def app_over_https(
    confidential_env, api_socket: socket.socket, fake_atproto: FakeAtproto
) -> AsyncIterator[None]:
    """The app on its socket over TLS, with a certificate for talk.internal; the fake
    maps talk.internal to 127.0.0.1 and trusts that certificate's CA."""
    server_tls, client_tls = tls_for(NAME)
    fake_atproto.clients.hosts[NAME] = "127.0.0.1"
    fake_atproto.clients.tls = client_tls
    settings = await confidential_env.get(Settings)
    app = create_app(
        confidential_env.container, close_container=False, hosts=served_hosts(settings)
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    config.load()
    config.ssl = server_tls  # uvicorn reads certificates from files only; this is the same
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[api_socket]))
    while not server.started:
        assert not task.done(), "uvicorn stopped before it started"
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def approved(env, fake_atproto: FakeAtproto) -> AuthorizationCallback:
    fake_atproto.add_account(BOB, "bob.test")
    redirect = await (await env.get(BlueskySignIn)).begin(Did.parse(BOB), "browser-1")
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(redirect.url)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert location.hostname == NAME
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    return AuthorizationCallback(query["state"], query.get("code"), query["iss"], "browser-1")


async def test_a_confidential_client_signs_in_and_its_grant_is_revoked(
    confidential_env, app_over_https, fake_atproto
):
    sign_in = await confidential_env.get(BlueskySignIn)
    signed_in = await sign_in.complete(await approved(confidential_env, fake_atproto))
    assert signed_in.identity.did == Did(BOB)
    assert len(fake_atproto.grants.refresh_tokens) == 1

    await (await confidential_env.get(BlueskyGrantRevocation)).revoke(signed_in.grant)

    assert fake_atproto.grants.revoked_grants == 1
    assert fake_atproto.grants.refresh_tokens == {} and fake_atproto.grants.access_tokens == {}


async def test_metadata_the_server_cannot_fetch_refuses_the_sign_in(
    confidential_env, app_over_https, fake_atproto
):
    fake_atproto.clients.tls = ssl.create_default_context()  # no longer trusts the cert
    fake_atproto.add_account(BOB, "bob.test")
    with pytest.raises(AuthorizationRefused) as refused:
        await (await confidential_env.get(BlueskySignIn)).begin(Did.parse(BOB), "browser-1")
    assert refused.value.error == "invalid_client_metadata"
    assert refused.value.description.startswith('Unable to obtain client metadata for "https://')


async def test_a_confidential_clients_refresh_is_authenticated_for_its_issuer(
    confidential_env, app_over_https, fake_atproto
):
    """The refresh carries a client assertion for the grant's issuer, which the fake
    verifies (audience, key, freshness) as atproto's server does."""
    fake_atproto.add_account(BOB, "bob.test")
    await sign_in(confidential_env, BOB)
    before = await stored_tokens(confidential_env, BOB)
    (await confidential_env.get(FakeClock)).advance(timedelta(minutes=31))

    renewed = await (await confidential_env.get(AtprotoTokenRefresher)).fresh_tokens(BOB)

    assert fake_atproto.refresh_grants == 1
    assert renewed.access_token != before.access_token
