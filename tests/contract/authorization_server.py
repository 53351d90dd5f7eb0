"""The AuthorizationServerContract: what atproto's authorization server (and its PDS)
does with what this client can get wrong, written once and run against every server
that claims to behave like it: the fake (test_authorization_server_contract.py) and
the reference PDS (the interop suite subclasses AuthorizationServerContract with its
own `server` fixture).

The tests act as an OAuth client built from the app's own parts (discovery, DPoP with
nonces, PKCE, client authentication); only the person's approval is the server's own
(`ServerUnderTest.approve`: the fake approves at once, the reference PDS through its
pages in a browser)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest_asyncio
from joserfc.jwk import ECKey

from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.infrastructure.bluesky.discovery import AuthorizationServer, discover
from talk_backend.infrastructure.bluesky.dpop import DpopKey, DpopNonces
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.bluesky.pkce import new_verifier, s256_challenge
from talk_backend.settings import OAuthSettings
from tests.fakes.grant_probe import GrantProbe

# Nothing listens here: approve() hands back the redirect instead of following it.
CLIENT_URL = "http://127.0.0.1:9"


@dataclass(frozen=True)
class ServerUnderTest:
    """A running PDS with its authorization server, and how a person approves there."""

    pds_url: str
    # An account that exists there (handle or DID), to sign in as.
    account: str
    # The person approves at this authorization URL; returns the URL the server
    # redirects the browser to (the client's redirect_uri with code, state and iss).
    approve: Callable[[str], Awaitable[str]]


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str
    key: DpopKey
    body: dict[str, Any]


def loopback_client(redirect_path: str = "/auth/callback") -> ClientIdentity:
    settings = OAuthSettings(public_url=CLIENT_URL)
    client = ClientIdentity(settings)
    assert client.redirect_uri == CLIENT_URL + redirect_path
    return client


def confidential_client(public_url: str) -> ClientIdentity:
    """A private_key_jwt client whose client_id is {public_url}/oauth-client-metadata.json
    (OAuthSettings alone: the settings' start-up check would refuse the bad ones)."""
    pem = ECKey.generate_key("P-256", private=True).as_pem(private=True).decode()
    return ClientIdentity(OAuthSettings(public_url=public_url, private_key=pem))


class OAuthTestClient:
    def __init__(self, http: GuardedHttpClient) -> None:
        self.http = http
        self.poster = DpopPoster(http, DpopNonces())

    async def par(
        self,
        server: AuthorizationServer,
        client: ClientIdentity,
        key: DpopKey,
        *,
        login_hint: str | None = None,
        redirect_uri: str | None = None,
    ) -> tuple[int, Any, str]:
        """Status and body of the pushed authorization request, and its PKCE verifier."""
        verifier = new_verifier()
        form = {
            **client.auth_params(server.issuer),
            "response_type": "code",
            "redirect_uri": redirect_uri or client.redirect_uri,
            "scope": client.scope,
            "state": secrets.token_urlsafe(32),
            "code_challenge": s256_challenge(verifier),
            "code_challenge_method": "S256",
            **({"login_hint": login_hint} if login_hint else {}),
        }
        status, body = await self.poster.post_form(server.par_endpoint, form, key)
        return status, body, verifier

    async def grant(self, target: ServerUnderTest) -> tuple[AuthorizationServer, Grant]:
        """A whole sign-in with the loopback client: PAR, approval, code exchange."""
        server = await discover(self.http, target.pds_url)
        client, key = loopback_client(), DpopKey.generate()
        status, body, verifier = await self.par(server, client, key, login_hint=target.account)
        assert status == 201, body
        query = urlencode({"client_id": client.client_id, "request_uri": body["request_uri"]})
        back = await target.approve(f"{server.authorization_endpoint}?{query}")
        params = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
        assert params.get("iss") == server.issuer and "code" in params, back
        form = {
            **client.auth_params(server.issuer),
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": client.redirect_uri,
            "code_verifier": verifier,
        }
        status, tokens = await self.poster.post_form(server.token_endpoint, form, key)
        assert status == 200, tokens
        grant = Grant(tokens["access_token"], tokens["refresh_token"], key, tokens)
        return server, grant

    async def revoke(
        self, server: AuthorizationServer, token: str, key: DpopKey, hint: str
    ) -> tuple[int, Any]:
        assert server.revocation_endpoint, "the server advertises no revocation_endpoint"
        form = {
            **loopback_client().auth_params(server.issuer),
            "token": token,
            "token_type_hint": hint,
        }
        return await self.poster.post_form(server.revocation_endpoint, form, key)

    async def refresh(
        self, server: AuthorizationServer, refresh_token: str, key: DpopKey
    ) -> tuple[int, Any]:
        form = {
            **loopback_client().auth_params(server.issuer),
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        return await self.poster.post_form(server.token_endpoint, form, key)


class AuthorizationServerContract:
    """Subclasses provide `server` (a ServerUnderTest); every server must pass these."""

    @pytest_asyncio.fixture(loop_scope="session")
    async def oauth(self) -> AsyncIterator[OAuthTestClient]:
        # Plain http to 127.0.0.1 only: both servers under test run on loopback.
        async with GuardedHttpClient(allow_insecure_loopback=True, timeout=10) as http:
            yield OAuthTestClient(http)

    async def test_the_loopback_client_is_accepted(self, server, oauth):
        auth_server = await discover(oauth.http, server.pds_url)
        status, body, _ = await oauth.par(
            auth_server, loopback_client(), DpopKey.generate(), login_hint=server.account
        )
        assert status == 201, body
        assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")

    async def test_a_confidential_client_on_http_is_refused(self, server, oauth):
        auth_server = await discover(oauth.http, server.pds_url)
        client = confidential_client("http://127.0.0.1:9")
        status, body, _ = await oauth.par(auth_server, client, DpopKey.generate())
        assert status == 400, body
        assert body["error"] == "invalid_client_metadata"
        assert body["error_description"] == f'Invalid client ID "{client.client_id}"'

    async def test_a_confidential_client_on_a_local_tld_is_refused(self, server, oauth):
        auth_server = await discover(oauth.http, server.pds_url)
        client = confidential_client("https://talk.test:8443")
        status, body, _ = await oauth.par(auth_server, client, DpopKey.generate())
        assert status == 400, body
        assert body["error"] == "invalid_client_id"
        assert body["error_description"] == "The client_id's TLD must not be a local hostname"

    async def test_a_redirect_uri_the_client_did_not_declare_is_refused(self, server, oauth):
        auth_server = await discover(oauth.http, server.pds_url)
        elsewhere = CLIENT_URL + "/elsewhere"
        status, body, _ = await oauth.par(
            auth_server, loopback_client(), DpopKey.generate(), redirect_uri=elsewhere
        )
        assert status == 400, body
        assert body["error"] == "invalid_request"
        assert body["error_description"] == f"Invalid redirect_uri {elsewhere}"

    async def test_a_revoked_refresh_token_no_longer_refreshes(self, server, oauth):
        auth_server, grant = await oauth.grant(server)
        status, body = await oauth.revoke(
            auth_server, grant.refresh_token, grant.key, "refresh_token"
        )
        assert status == 200, body

        status, body = await oauth.refresh(auth_server, grant.refresh_token, grant.key)
        assert status == 400, body
        assert body["error"] == "invalid_grant"

    async def test_a_revoked_grant_is_refused_by_the_pds(self, server, oauth):
        auth_server, grant = await oauth.grant(server)
        probe = GrantProbe(oauth.http, oauth.poster, loopback_client())
        jwk = grant.key.to_json()
        assert await probe.pds_status(server.pds_url, grant.access_token, jwk) == 200

        status, _ = await oauth.revoke(auth_server, grant.refresh_token, grant.key, "refresh_token")
        assert status == 200

        assert await probe.pds_status(server.pds_url, grant.access_token, jwk) == 401

    async def test_revoking_an_unknown_token_is_200(self, server, oauth):
        auth_server = await discover(oauth.http, server.pds_url)
        status, body = await oauth.revoke(
            auth_server, secrets.token_urlsafe(32), DpopKey.generate(), "refresh_token"
        )
        assert status == 200, body

    async def test_a_refresh_still_works_before_revocation(self, server, oauth):
        """The control for the revocation cases: the same refresh succeeds unrevoked."""
        auth_server, grant = await oauth.grant(server)
        status, body = await oauth.refresh(auth_server, grant.refresh_token, grant.key)
        assert status == 200, body
        assert body["refresh_token"] != grant.refresh_token
