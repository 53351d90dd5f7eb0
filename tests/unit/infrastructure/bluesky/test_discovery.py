"""PDS -> authorization server, against a local HTTP server serving what a hostile or
broken PDS or authorization server might: each refusal names the problem (the message
reaches the person as detail). The exception classes are the error mapping's
business; these tests read the messages."""

from __future__ import annotations

from typing import Any

import pytest

from talk_backend.infrastructure.bluesky.discovery import discover, issuer_of, server_at
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from tests.unit.infrastructure.bluesky.network_doubles import json_response, local_routes

RESOURCE = "/.well-known/oauth-protected-resource"
METADATA = "/.well-known/oauth-authorization-server"
ONE_SERVER = r"^the PDS must name exactly one authorization server$"
NOT_AN_OBJECT = r"^authorization server metadata is not a JSON object$"


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


async def test_the_pds_leads_to_its_authorization_servers_endpoints():
    routes: dict[str, bytes] = {}
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        origin = f"http://127.0.0.1:{server.port}"
        routes[RESOURCE] = json_response({"authorization_servers": [origin + "/"]})
        routes[METADATA] = json_response(metadata(origin))
        found = await discover(http, origin)
    assert found.issuer == origin
    assert found.par_endpoint == f"{origin}/oauth/par"
    assert found.authorization_endpoint == f"{origin}/oauth/authorize"
    assert found.token_endpoint == f"{origin}/oauth/token"
    assert found.revocation_endpoint == f"{origin}/oauth/revoke"


async def test_https_endpoints_are_taken_as_published():
    """Production servers publish https endpoints (here on another host than the
    loopback issuer the test serves): each is used as it is."""
    routes: dict[str, bytes] = {}
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        origin = f"http://127.0.0.1:{server.port}"
        routes[METADATA] = json_response(
            metadata(
                origin,
                pushed_authorization_request_endpoint="https://auth.example.com/par",
                authorization_endpoint="https://auth.example.com/authorize",
                token_endpoint="https://auth.example.com/token",
                revocation_endpoint="https://auth.example.com/revoke",
            )
        )
        found = await server_at(http, origin)
    assert (found.par_endpoint, found.token_endpoint) == (
        "https://auth.example.com/par",
        "https://auth.example.com/token",
    )
    assert found.authorization_endpoint == "https://auth.example.com/authorize"
    assert found.revocation_endpoint == "https://auth.example.com/revoke"


async def test_the_named_server_loses_only_its_trailing_slashes():
    routes: dict[str, bytes] = {}
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        pds = f"http://127.0.0.1:{server.port}"
        # A path is refused later (the issuer must be an origin); here only "/" goes.
        routes[RESOURCE] = json_response({"authorization_servers": ["https://a.example/X//"]})
        assert await issuer_of(http, pds) == "https://a.example/X"


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
async def test_a_pds_must_name_exactly_one_authorization_server(resource):
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes({RESOURCE: json_response(resource)}) as server,
    ):
        with pytest.raises(Exception, match=ONE_SERVER):
            await issuer_of(http, f"http://127.0.0.1:{server.port}")


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
async def test_metadata_outside_atprotos_profile_is_refused_with_its_reason(changes, message):
    routes: dict[str, bytes] = {}
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        origin = f"http://127.0.0.1:{server.port}"
        routes[METADATA] = json_response(metadata(origin, **changes))
        with pytest.raises(Exception, match=message) as refused:
            await server_at(http, origin)
    assert str(refused.value) == message


async def test_metadata_that_is_not_an_object_is_refused():
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes({METADATA: json_response(["issuer"])}) as server,
    ):
        with pytest.raises(Exception, match=NOT_AN_OBJECT):
            await server_at(http, f"http://127.0.0.1:{server.port}")


async def test_an_issuer_with_a_path_is_refused_even_when_the_metadata_agrees():
    """The issuer must be an origin: metadata served under a path of someone else's
    host cannot name itself an issuer."""
    routes: dict[str, bytes] = {}
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        issuer = f"http://127.0.0.1:{server.port}/user/evil"
        routes[f"/user/evil{METADATA}"] = json_response(metadata(issuer))
        with pytest.raises(Exception, match="names a different issuer"):
            await server_at(http, issuer)


@pytest.mark.parametrize("revocation", [None, "mailto:x@example.com", 5])
async def test_without_a_usable_revocation_endpoint_there_is_none(revocation):
    routes: dict[str, bytes] = {}
    async with (
        GuardedHttpClient(allow_insecure_loopback=True) as http,
        local_routes(routes) as server,
    ):
        origin = f"http://127.0.0.1:{server.port}"
        routes[METADATA] = json_response(metadata(origin, revocation_endpoint=revocation))
        found = await server_at(http, origin)
    assert found.revocation_endpoint is None
    assert found.token_endpoint == f"{origin}/oauth/token"
