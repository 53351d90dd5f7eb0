"""Which client_ids atproto's authorization server accepts, and what it answers when it
does not: its rules (@atproto/oauth-types' discoverable and loopback client ids, and
@atproto/oauth-provider's ClientManager), mirrored in one place for the settings (refuse
at start-up what the server would refuse at every sign-in) and the fake server.

Standard library only: settings import this module."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

# Where a confidential client serves its metadata: its client_id is public_url + this.
METADATA_PATH = "/oauth-client-metadata.json"
LOOPBACK_ORIGIN = "http://localhost"
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_LOCAL_TLDS = frozenset({"test", "local", "localhost", "invalid", "example"})
_IPV4 = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
# A path the WHATWG URL parser leaves as it is: no dot segments, nothing it would
# percent-encode or rewrite (the server compares the raw path with the parsed one).
_CANONICAL_PATH = re.compile(r"^(/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)*$")
_DOT_SEGMENT = re.compile(r"^(\.|%2e){1,2}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ClientIdRefused(Exception):
    """The server's answer: its OAuth `error` code and `error_description`."""

    error: str
    description: str

    def __str__(self) -> str:
        return f"{self.description} ({self.error})"


def is_loopback_client_id(client_id: str) -> bool:
    return client_id.startswith(LOOPBACK_ORIGIN)


def check_discoverable_client_id(client_id: str) -> None:
    """A client_id that is the URL of its metadata document. Raises ClientIdRefused
    with the server's error: `invalid_client_metadata` "Invalid client ID" when the URL
    is not a discoverable client id at all (http, loopback, an IP address, a
    single-label or .local name, credentials, a fragment, no path, a trailing slash,
    a path not in canonical form); `invalid_client_id` when its TLD is local (test,
    local, localhost, invalid, example, or a single label)."""
    reason = discoverable_problem(client_id)
    if reason is not None:
        # The server falls through to "not a client id it knows": the reason is ours.
        raise ClientIdRefused("invalid_client_metadata", f'Invalid client ID "{client_id}"')
    if is_local_hostname(urlsplit(client_id).hostname or ""):
        raise ClientIdRefused(
            "invalid_client_id", "The client_id's TLD must not be a local hostname"
        )


def discoverable_problem(client_id: str) -> str | None:
    """Why the URL is not a discoverable client id (the oauth-types message), or None."""
    if not client_id.startswith("https://"):
        return 'URL must use the "https:" protocol'
    try:
        parts = urlsplit(client_id)
        hostname = _hostname(client_id)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        return "Invalid URL"
    if not hostname:
        return "Invalid URL"
    if hostname in _LOOPBACK_HOSTS:
        return "https: URL must not use a loopback host"
    if not is_hostname_ip(hostname):
        if "." not in hostname:
            return "Domain name must contain at least two segments"
        if hostname.endswith(".local"):
            return 'Domain name must not end with ".local"'
    if parts.username is not None or parts.password is not None:
        return "ClientID must not contain credentials"
    if parts.fragment:
        return "ClientID must not contain a fragment"
    if parts.path in ("", "/"):
        return 'ClientID must contain a path component (e.g. "/client-metadata.json")'
    if parts.path.endswith("/"):
        return "ClientID path must not end with a trailing slash"
    if is_hostname_ip(hostname):
        return "ClientID hostname must not be an IP address"
    if not _is_canonical_path(parts.path):
        return "ClientID must be in canonical form"
    return None


def is_hostname_ip(hostname: str) -> bool:
    return bool(_IPV4.match(hostname)) or (hostname.startswith("[") and hostname.endswith("]"))


def is_local_hostname(hostname: str) -> bool:
    labels = hostname.split(".")
    return len(labels) < 2 or labels[-1].lower() in _LOCAL_TLDS


def loopback_client_params(client_id: str) -> tuple[str, list[str]]:
    """The scope and redirect URIs a loopback client_id (`http://localhost[/][?...]`)
    declares, with atproto's defaults. ClientIdRefused as the server answers: the id is
    no client id it knows unless it parses, and its scope must hold atproto."""
    refused = ClientIdRefused("invalid_client_metadata", f'Invalid client ID "{client_id}"')
    if not is_loopback_client_id(client_id) or "#" in client_id:
        raise refused
    rest = client_id[len(LOOPBACK_ORIGIN) :].removeprefix("/")
    if rest and not rest.startswith("?"):
        raise refused  # a port or a path
    scope: str | None = None
    redirect_uris: list[str] = []
    for key, value in parse_qsl(rest[1:], keep_blank_values=True):
        if key == "scope" and scope is None and value:
            scope = value
        elif key == "redirect_uri" and _is_loopback_redirect_uri(value):
            redirect_uris.append(value)
        else:
            raise refused
    scope = scope or "atproto"
    if "atproto" not in scope.split(" "):
        raise ClientIdRefused(
            "invalid_client_metadata",
            f'Invalid loopback client id "{client_id}": '
            'ATProto Loopback ClientID must include "atproto" scope',
        )
    return scope, redirect_uris or ["http://127.0.0.1/", "http://[::1]/"]


def redirect_uri_allowed(allowed: str, requested: str) -> bool:
    """RFC 8252 as the server compares: exact, except a loopback redirect URI registered
    without a port matches any port."""
    if allowed == requested:
        return True
    try:
        a, r = urlsplit(allowed), urlsplit(requested)
        a_host, r_host = _hostname(allowed), _hostname(requested)
        a_port, r_port = a.port, r.port
    except ValueError:
        return False
    if a_host not in _LOOPBACK_HOSTS:
        return False
    return (
        (a_port is None or a_port == r_port)
        and a_host == r_host
        and (a.path or "/") == (r.path or "/")
        and (a.scheme, a.query, a.fragment) == (r.scheme, r.query, r.fragment)
        and (a.username, a.password) == (r.username, r.password)
    )


def _is_loopback_redirect_uri(value: str) -> bool:
    """http, on 127.0.0.1 or [::1]: `localhost` is refused (RFC 8252 8.3)."""
    try:
        return value.startswith("http://") and _hostname(value) in ("127.0.0.1", "[::1]")
    except ValueError:
        return False


def _hostname(url: str) -> str:
    """The host as the WHATWG parser names it: lower case, IPv6 in brackets."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"[{host}]" if ":" in host else host


def _is_canonical_path(path: str) -> bool:
    segments = path.split("/")[1:]
    return bool(_CANONICAL_PATH.match(path)) and not any(_DOT_SEGMENT.match(s) for s in segments)
