"""PDS -> its authorization server, checked against atproto's OAuth profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from talk_backend.application.errors import UpstreamFailure
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.origin import origin_of


@dataclass(frozen=True, slots=True)
class AuthorizationServer:
    issuer: str
    par_endpoint: str
    authorization_endpoint: str
    token_endpoint: str
    # RFC 7009; optional in the metadata: without it tokens can only expire.
    revocation_endpoint: str | None = None


async def issuer_of(http: GuardedHttpClient, pds_url: str) -> str:
    """The one authorization server a PDS (or an entryway) names."""
    resource = await http.get_json(f"{pds_url}/.well-known/oauth-protected-resource")
    servers = resource.get("authorization_servers") if isinstance(resource, dict) else None
    if not isinstance(servers, list) or len(servers) != 1 or not isinstance(servers[0], str):
        raise UpstreamFailure("the PDS must name exactly one authorization server")
    return servers[0].rstrip("/")


async def discover(http: GuardedHttpClient, pds_url: str) -> AuthorizationServer:
    return await server_at(http, await issuer_of(http, pds_url))


async def server_at(http: GuardedHttpClient, issuer: str) -> AuthorizationServer:
    """The metadata of an issuer already known (a stored grant's)."""
    meta = await http.get_json(f"{issuer}/.well-known/oauth-authorization-server")
    return _checked(meta, issuer)


def _checked(meta: Any, origin: str) -> AuthorizationServer:
    """The issuer must be the origin the metadata came from; PAR, S256 and ES256 DPoP
    are required by the profile."""
    if not isinstance(meta, dict):
        raise UpstreamFailure("authorization server metadata is not a JSON object")
    if meta.get("issuer") != origin or origin_of(origin) != origin:
        raise UpstreamFailure("authorization server metadata names a different issuer")
    if meta.get("require_pushed_authorization_requests") is not True:
        raise UpstreamFailure("the authorization server does not require PAR")
    if "S256" not in (meta.get("code_challenge_methods_supported") or []):
        raise UpstreamFailure("the authorization server does not support PKCE S256")
    if "ES256" not in (meta.get("dpop_signing_alg_values_supported") or []):
        raise UpstreamFailure("the authorization server does not support ES256 DPoP")
    if "atproto" not in (meta.get("scopes_supported") or []):
        raise UpstreamFailure("the authorization server does not offer the atproto scope")
    endpoints = {}
    for name in (
        "pushed_authorization_request_endpoint",
        "authorization_endpoint",
        "token_endpoint",
    ):
        value = meta.get(name)
        if not _is_web_url(value):
            raise UpstreamFailure(f"authorization server metadata lacks {name}")
        endpoints[name] = value
    revocation = meta.get("revocation_endpoint")
    return AuthorizationServer(
        issuer=origin,
        par_endpoint=endpoints["pushed_authorization_request_endpoint"],
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        revocation_endpoint=revocation if _is_web_url(revocation) else None,
    )


def _is_web_url(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(("https://", "http://"))
