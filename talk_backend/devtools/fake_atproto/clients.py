"""Who the fake authorization server takes a client to be, as atproto's server does
(@atproto/oauth-provider's ClientManager and Client): the loopback client's metadata
comes from its client_id; any other client_id must pass the discoverable client_id
rules (talk_backend's client_id_rules, shared with the settings), and its metadata
document and JWKS are fetched from the client itself, then checked. Errors carry the
real server's `error` codes and descriptions.

The fake stays on loopback: a client's host name is fetched only when `hosts` maps it
(to 127.0.0.1), over https, verified with the given TLS context."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from talk_backend.devtools.fake_atproto.grants import Refused
from talk_backend.infrastructure.bluesky.client_id_rules import (
    ClientIdRefused,
    check_discoverable_client_id,
    is_local_hostname,
    is_loopback_client_id,
    loopback_client_params,
    redirect_uri_allowed,
)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_MAX_AGE = 60  # seconds, as CLIENT_ASSERTION_MAX_AGE


@dataclass(frozen=True)
class KnownClient:
    client_id: str
    metadata: dict[str, Any]
    keys: KeySet | None = None

    @property
    def auth_method(self) -> str:
        return str(self.metadata.get("token_endpoint_auth_method", "none"))


@dataclass
class ClientRegistry:
    hosts: dict[str, str] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None
    _assertion_jtis: set[str] = field(default_factory=set)

    async def client(self, client_id: str) -> KnownClient:
        if not client_id:
            raise Refused("invalid_client", "Client credentials missing")
        try:
            if is_loopback_client_id(client_id):
                return _loopback_client(client_id)
            check_discoverable_client_id(client_id)
        except ClientIdRefused as refused:
            raise Refused(refused.error, refused.description) from None
        metadata = await self._fetch(client_id, f'client metadata for "{client_id}"')
        _check_metadata(client_id, metadata)
        keys = None
        if metadata.get("jwks_uri"):
            uri = str(metadata["jwks_uri"])
            document = await self._fetch(uri, f'jwks from "{uri}" for "{client_id}"')
            try:
                keys = KeySet.import_key_set(document)
            except (JoseError, ValueError, TypeError, KeyError):
                raise Refused(
                    "invalid_client_metadata", f'Unable to obtain jwks from "{uri}"'
                ) from None
        elif metadata.get("jwks"):
            keys = KeySet.import_key_set(metadata["jwks"])
        return KnownClient(client_id, metadata, keys)

    def authenticate(
        self, client: KnownClient, form: dict[str, str], issuer: str, jkt: str
    ) -> None:
        """private_key_jwt: a client assertion signed by a key of the client's JWKS, for
        this issuer, fresh and not replayed, by another key than the DPoP proof's."""
        if client.auth_method == "none":
            return
        assertion = form.get("client_assertion")
        if not assertion:
            raise Refused(
                "invalid_request",
                'client authentication method "private_key_jwt" required a "client_assertion"',
            )
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise Refused(
                "invalid_client",
                f'Unsupported client_assertion_type "{form.get("client_assertion_type")}"',
            )
        try:
            header = extract_compact(assertion.encode()).protected
            token = jwt.decode(assertion, client.keys or KeySet([]), algorithms=["ES256"])
        except (JoseError, ValueError, TypeError, KeyError):
            raise Refused("invalid_client", 'Unable to verify "client_assertion" JWT') from None
        claims = token.claims
        problem = _assertion_problem(claims, client.client_id, issuer)
        if problem:
            raise Refused("invalid_client", f'Validation of "client_assertion" failed: {problem}')
        if not header.get("kid"):
            raise Refused("invalid_client", '"kid" required in client_assertion')
        key = client.keys.get_by_kid(header["kid"]) if client.keys else None
        if key is not None and key.thumbprint() == jkt:
            raise Refused(
                "invalid_request",
                "The DPoP proof must be signed with a different key than the client assertion",
            )
        if claims["jti"] in self._assertion_jtis:
            raise Refused("invalid_grant", "private_key_jwt jti reused")
        self._assertion_jtis.add(claims["jti"])

    async def _fetch(self, url: str, what: str) -> Any:
        unable = Refused("invalid_client_metadata", f"Unable to obtain {what}")
        parts = urlsplit(url)
        target = self.hosts.get(parts.hostname or "")
        if parts.scheme != "https" or target is None:
            raise unable  # nothing off loopback, ever
        netloc = f"{target}:{parts.port or 443}"
        try:
            async with httpx.AsyncClient(
                verify=self.tls or ssl.create_default_context(), trust_env=False, timeout=5
            ) as http:
                answer = await http.get(
                    urlunsplit(("https", netloc, parts.path, parts.query, "")),
                    headers={"Host": parts.netloc, "Accept": "application/json"},
                    extensions={"sni_hostname": parts.hostname},
                )
            if answer.status_code != 200:
                raise unable
            return answer.json()
        except (httpx.HTTPError, ValueError):
            raise unable from None


def check_redirect_uri(client: KnownClient, redirect_uri: str | None) -> str:
    """The request's redirect_uri must be one the metadata lists (loopback: any port);
    without one, the metadata's only redirect URI."""
    allowed = [str(uri) for uri in client.metadata.get("redirect_uris", [])]
    if not redirect_uri:
        if len(allowed) == 1:
            return allowed[0]
        raise Refused("invalid_request", "redirect_uri is required")
    if not any(redirect_uri_allowed(uri, redirect_uri) for uri in allowed):
        raise Refused("invalid_request", f"Invalid redirect_uri {redirect_uri}")
    return redirect_uri


def _loopback_client(client_id: str) -> KnownClient:
    scope, redirect_uris = loopback_client_params(client_id)
    metadata = {
        "client_id": client_id,
        "scope": scope,
        "redirect_uris": redirect_uris,
        "response_types": ["code"],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
        "dpop_bound_access_tokens": True,
    }
    return KnownClient(client_id, metadata)


def _check_metadata(client_id: str, meta: Any) -> None:
    """ClientManager.validateClientMetadata, for what a web client can get wrong."""

    def refuse(description: str, error: str = "invalid_client_metadata") -> Refused:
        return Refused(error, description)

    if not isinstance(meta, dict):
        raise refuse(f'Unable to obtain client metadata for "{client_id}"')
    if not meta.get("client_id"):
        raise refuse("client_id is required for discoverable clients")
    if meta["client_id"] != client_id:
        raise refuse("client_id does not match")
    if meta.get("jwks") and meta.get("jwks_uri"):
        raise refuse("jwks_uri and jwks are mutually exclusive")
    scopes = str(meta.get("scope") or "").split(" ")
    if not meta.get("scope"):
        raise refuse("Missing scope property")
    if "atproto" not in scopes:
        raise refuse('Missing "atproto" scope')
    grant_types = meta.get("grant_types") or ["authorization_code"]
    for grant_type in grant_types:
        if grant_type not in ("authorization_code", "refresh_token"):
            raise refuse(f'Grant type "{grant_type}" is not supported')
    method = meta.get("token_endpoint_auth_method", "client_secret_basic")
    if method == "private_key_jwt":
        if not meta.get("jwks") and not meta.get("jwks_uri"):
            raise refuse("private_key_jwt auth method requires jwks or jwks_uri")
        if not meta.get("token_endpoint_auth_signing_alg"):
            raise refuse("Missing token_endpoint_auth_signing_alg client metadata")
    elif method != "none":
        raise refuse(f'Unsupported client authentication method "{method}"')
    if meta.get("dpop_bound_access_tokens") is not True:
        raise refuse('"dpop_bound_access_tokens" must be true')
    if "code" not in (meta.get("response_types") or ["code"]):
        raise refuse('response_types must include "code"')
    redirect_uris = meta.get("redirect_uris") or []
    if not redirect_uris:
        raise refuse("At least one redirect_uri is required")
    native = meta.get("application_type", "web") == "native"
    for uri in redirect_uris:
        parts = urlsplit(str(uri))
        host = parts.hostname or ""
        if host == "localhost":
            raise refuse(
                f"Loopback redirect URI {uri} is not allowed (use explicit IPs instead)",
                "invalid_redirect_uri",
            )
        if host in ("127.0.0.1", "::1"):
            if not native:
                raise refuse(
                    "Loopback redirect URIs are only allowed for native apps",
                    "invalid_redirect_uri",
                )
        elif parts.scheme == "http":
            raise refuse(
                'Only loopback redirect URIs are allowed to use the "http" scheme',
                "invalid_redirect_uri",
            )
        elif parts.scheme == "https" and is_local_hostname(host):
            raise refuse(
                f'Redirect URI "{uri}"\'s domain name must not be a local hostname',
                "invalid_redirect_uri",
            )


def _assertion_problem(claims: dict[str, Any], client_id: str, issuer: str) -> str | None:
    now = time.time()
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if claims.get("iss") != client_id:
        return f'Invalid "iss" claim "{claims.get("iss")}"'
    if claims.get("sub") != client_id:
        return 'unexpected "sub" claim value'
    if issuer not in audiences:
        return f'Invalid "aud" claim "{audience}"'
    if not claims.get("jti"):
        return 'missing required "jti" claim'
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or now - iat > ASSERTION_MAX_AGE:
        return '"iat" claim timestamp check failed (too far in the past)'
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp <= now):
        return '"exp" claim timestamp check failed'
    return None
