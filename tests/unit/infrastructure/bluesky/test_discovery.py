"""PDS -> authorization server, against a local HTTP server serving what a hostile or
broken PDS or authorization server might: each refusal names the problem (the message
reaches the person as detail). The exception classes are the error mapping's
business; these tests read the messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from talk_backend.infrastructure.bluesky.discovery import discover, issuer_of, server_at
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from tests.unit.infrastructure.bluesky.network_doubles import json_response, local_routes

RESOURCE = "/.well-known/oauth-protected-resource"
METADATA = "/.well-known/oauth-authorization-server"
ONE_SERVER = r"^the PDS must name exactly one authorization server$"
NOT_AN_OBJECT = r"^authorization server metadata is not a JSON object$"


@dataclass
class Site:
    http: GuardedHttpClient
    routes: dict[str, bytes]  # path -> raw answer; documents may name `origin`
    origin: str


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    """A loopback server answering the routes a test adds, and a client allowed to
    reach it."""
    routes: dict[str, bytes] = {}
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        yield Site(http, routes, f"http://127.0.0.1:{server.port}")


def metadata(origin: str, **changes: Any) -> dict[str, Any]:
    document = {
        "issuer": origin,
        "pushed_authorization_request_endpoint": f"{origin}/oauth/par",
        "authorization_endpoint": f"{origin}/oauth/authorize",
        "token_endpoint": f"{origin}/oauth/token",
        "revocation_endpoint": f"{origin}/oauth/revoke",
        "require_pushed_authorization_requests": True,
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "scopes_supported": ["atproto", "transition:generic"],
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


async def test_the_pds_leads_to_its_authorization_servers_endpoints(site):
    origin = site.origin
    site.routes[RESOURCE] = json_response({"authorization_servers": [origin + "/"]})
    site.routes[METADATA] = json_response(metadata(origin))
    found = await discover(site.http, origin)
    assert found.issuer == origin
    assert found.par_endpoint == f"{origin}/oauth/par"
    assert found.authorization_endpoint == f"{origin}/oauth/authorize"
    assert found.token_endpoint == f"{origin}/oauth/token"
    assert found.revocation_endpoint == f"{origin}/oauth/revoke"


async def test_https_endpoints_are_taken_as_published(site):
    """Production servers publish https endpoints (here on another host than the
    loopback issuer the test serves): each is used as it is."""
    origin = site.origin
    site.routes[METADATA] = json_response(
        metadata(
            origin,
            pushed_authorization_request_endpoint="https://auth.example.com/par",
            authorization_endpoint="https://auth.example.com/authorize",
            token_endpoint="https://auth.example.com/token",
            revocation_endpoint="https://auth.example.com/revoke",
        )
    )
    found = await server_at(site.http, origin)
    assert (found.par_endpoint, found.token_endpoint) == (
        "https://auth.example.com/par",
        "https://auth.example.com/token",
    )
    assert found.authorization_endpoint == "https://auth.example.com/authorize"
    assert found.revocation_endpoint == "https://auth.example.com/revoke"


async def test_the_named_server_loses_only_its_trailing_slashes(site):
    pds = site.origin
    # A path is refused later (the issuer must be an origin); here only "/" goes.
    site.routes[RESOURCE] = json_response({"authorization_servers": ["https://a.example/X//"]})
    assert await issuer_of(site.http, pds) == "https://a.example/X"


@pytest.mark.parametrize(
    "resource",
    [
        {"authorization_servers": []},
        {"authorization_servers": ["http://a.example", "http://b.example"]},
        {"authorization_servers": [7]},
        {"authorization_servers": "http://a.example"},
        {},
        ["http://a.example"],
    ],
    ids=["none", "two", "not-a-string", "not-a-list", "missing", "not-an-object"],
)
async def test_a_pds_must_name_exactly_one_authorization_server(site, resource):
    site.routes[RESOURCE] = json_response(resource)
    with pytest.raises(Exception, match=ONE_SERVER):
        await issuer_of(site.http, site.origin)


MISSING = "authorization server metadata lacks"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"issuer": "http://127.0.0.1:1"},
            "authorization server metadata names a different issuer",
        ),
        ({"issuer": None}, "authorization server metadata names a different issuer"),
        (
            {"require_pushed_authorization_requests": None},
            "the authorization server does not require PAR",
        ),
        (
            {"require_pushed_authorization_requests": "true"},
            "the authorization server does not require PAR",
        ),
        (
            {"code_challenge_methods_supported": ["plain"]},
            "the authorization server does not support PKCE S256",
        ),
        (
            {"code_challenge_methods_supported": None},
            "the authorization server does not support PKCE S256",
        ),
        (
            {"dpop_signing_alg_values_supported": ["RS256"]},
            "the authorization server does not support ES256 DPoP",
        ),
        (
            {"dpop_signing_alg_values_supported": None},
            "the authorization server does not support ES256 DPoP",
        ),
        (
            {"scopes_supported": ["transition:generic"]},
            "the authorization server does not offer the atproto scope",
        ),
        ({"scopes_supported": None}, "the authorization server does not offer the atproto scope"),
        (
            {"pushed_authorization_request_endpoint": None},
            f"{MISSING} pushed_authorization_request_endpoint",
        ),
        (
            {"pushed_authorization_request_endpoint": "ftp://x.example/par"},
            f"{MISSING} pushed_authorization_request_endpoint",
        ),
        ({"authorization_endpoint": "/oauth/authorize"}, f"{MISSING} authorization_endpoint"),
        ({"token_endpoint": 5}, f"{MISSING} token_endpoint"),
    ],
)
async def test_metadata_outside_atprotos_profile_is_refused_with_its_reason(site, changes, message):
    origin = site.origin
    site.routes[METADATA] = json_response(metadata(origin, **changes))
    with pytest.raises(Exception, match=message) as refused:
        await server_at(site.http, origin)
    assert str(refused.value) == message


async def test_metadata_that_is_not_an_object_is_refused(site):
    site.routes[METADATA] = json_response(["issuer"])
    with pytest.raises(Exception, match=NOT_AN_OBJECT):
        await server_at(site.http, site.origin)


async def test_an_issuer_with_a_path_is_refused_even_when_the_metadata_agrees(site):
    """The issuer must be an origin: metadata served under a path of someone else's
    host cannot name itself an issuer."""
    issuer = f"{site.origin}/user/evil"
    site.routes[f"/user/evil{METADATA}"] = json_response(metadata(issuer))
    with pytest.raises(Exception, match="names a different issuer"):
        await server_at(site.http, issuer)


@pytest.mark.parametrize("revocation", [None, "mailto:x@example.com", 5])
async def test_without_a_usable_revocation_endpoint_there_is_none(site, revocation):
    origin = site.origin
    site.routes[METADATA] = json_response(metadata(origin, revocation_endpoint=revocation))
    found = await server_at(site.http, origin)
    assert found.revocation_endpoint is None
    assert found.token_endpoint == f"{origin}/oauth/token"
