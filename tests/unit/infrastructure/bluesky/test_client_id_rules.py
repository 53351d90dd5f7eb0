"""The client_id rules of atproto's authorization server (@atproto/oauth-types and
@atproto/oauth-provider), one case per rule, with the server's error and the
oauth-types message for each."""

from __future__ import annotations

import pytest

from talk_backend.infrastructure.bluesky.client_id_rules import (
    ClientIdRefused,
    check_discoverable_client_id,
    discoverable_problem,
    is_local_hostname,
    loopback_client_params,
    redirect_uri_allowed,
)

METADATA = "/oauth-client-metadata.json"


@pytest.mark.parametrize(
    "client_id",
    [
        "https://talk.internal" + METADATA,
        "https://talk.internal:8443" + METADATA,
        "https://talk.example.com" + METADATA,
        "https://app.bsky.social/client/metadata.json",
    ],
)
def test_a_metadata_url_on_a_public_name_is_accepted(client_id):
    check_discoverable_client_id(client_id)


@pytest.mark.parametrize(
    ("client_id", "rule"),
    [
        ("http://talk.example.com" + METADATA, 'URL must use the "https:" protocol'),
        ("http://127.0.0.1:8000" + METADATA, 'URL must use the "https:" protocol'),
        ("https://localhost" + METADATA, "https: URL must not use a loopback host"),
        ("https://127.0.0.1" + METADATA, "https: URL must not use a loopback host"),
        ("https://[::1]" + METADATA, "https: URL must not use a loopback host"),
        ("https://talk" + METADATA, "Domain name must contain at least two segments"),
        ("https://talk.local" + METADATA, 'Domain name must not end with ".local"'),
        ("https://u:p@talk.example.com" + METADATA, "ClientID must not contain credentials"),
        ("https://talk.example.com/m.json#x", "ClientID must not contain a fragment"),
        ("https://talk.example.com/", "ClientID must contain a path component"),
        ("https://talk.example.com", "ClientID must contain a path component"),
        ("https://talk.example.com/m/", "ClientID path must not end with a trailing slash"),
        ("https://10.0.0.1" + METADATA, "ClientID hostname must not be an IP address"),
        ("https://[2001:db8::1]" + METADATA, "ClientID hostname must not be an IP address"),
        ("https://talk.example.com/a/../m.json", "ClientID must be in canonical form"),
        ("https://talk.example.com/a b.json", "ClientID must be in canonical form"),
        ("https://talk.example.com/../m.json", "ClientID must be in canonical form"),
        ("https://talk.example.com/%2E/m.json", "ClientID must be in canonical form"),
        ("https://u@talk.example.com" + METADATA, "ClientID must not contain credentials"),
        ("https://talk.example.com:99999" + METADATA, "Invalid URL"),
        ("https://talk.example.com:x" + METADATA, "Invalid URL"),
        ("https://" + METADATA, "Invalid URL"),
        ("https://[::1" + METADATA, "Invalid URL"),
    ],
)
def test_not_a_discoverable_client_id_is_invalid_client_metadata(client_id, rule):
    assert discoverable_problem(client_id).startswith(rule)
    with pytest.raises(ClientIdRefused) as refused:
        check_discoverable_client_id(client_id)
    assert refused.value.error == "invalid_client_metadata"
    assert refused.value.description == f'Invalid client ID "{client_id}"'


@pytest.mark.parametrize("tld", ["test", "local.test", "localhost", "invalid", "example", "TEST"])
def test_a_local_tld_is_invalid_client_id(tld):
    client_id = f"https://talk.{tld}:8443{METADATA}"
    if tld == "local.test":
        client_id = f"https://talk.local.test{METADATA}"
    assert discoverable_problem(client_id) is None  # a discoverable id, refused later
    with pytest.raises(ClientIdRefused) as refused:
        check_discoverable_client_id(client_id)
    assert (refused.value.error, refused.value.description) == (
        "invalid_client_id",
        "The client_id's TLD must not be a local hostname",
    )


def test_local_hostnames():
    assert is_local_hostname("talk") and is_local_hostname("a.example")
    assert not is_local_hostname("talk.internal") and not is_local_hostname("bsky.social")


def test_the_loopback_client_declares_its_scope_and_redirect_uris():
    client_id = (
        "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fauth%2Fcallback"
        "&scope=atproto+transition%3Ageneric"
    )
    assert loopback_client_params(client_id) == (
        "atproto transition:generic",
        ["http://127.0.0.1:8000/auth/callback"],
    )
    assert loopback_client_params("http://localhost") == (
        "atproto",
        ["http://127.0.0.1/", "http://[::1]/"],
    )


@pytest.mark.parametrize(
    "client_id",
    [
        "http://localhost:8000?scope=atproto",  # a port
        "http://localhost/cb?scope=atproto",  # a path
        "http://localhost?scope=atproto#x",  # a fragment
        "http://localhost?scope=atproto&scope=atproto",  # twice
        "http://localhost?redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fcb",  # localhost
        "http://localhost?redirect_uri=https%3A%2F%2F127.0.0.1%2Fcb",  # not http
        "http://localhost?client_name=x",  # an unknown parameter
        # Empty values count (URLSearchParams keeps them): an empty scope is no scope,
        # an empty redirect_uri no loopback URI.
        "http://localhost?scope=",
        "http://localhost?redirect_uri=",
        "http://localhost?redirect_uri=http%3A%2F%2F%5B%3A%3A1",  # unparsable: [::1 open
        "http://localhostx",
        "https://localhost?scope=atproto",
    ],
)
def test_a_malformed_loopback_client_id_is_no_client_id(client_id):
    with pytest.raises(ClientIdRefused) as refused:
        loopback_client_params(client_id)
    assert refused.value.error == "invalid_client_metadata"
    assert refused.value.description == f'Invalid client ID "{client_id}"'


@pytest.mark.parametrize(
    "scope", ["transition%3Ageneric", "atproto%09transition%3Ageneric", "atprotox"]
)
def test_a_loopback_client_without_the_atproto_scope_is_refused(scope):
    """Scopes are separated by single spaces: a tab does not separate them."""
    client_id = f"http://localhost?scope={scope}"
    with pytest.raises(ClientIdRefused) as refused:
        loopback_client_params(client_id)
    assert refused.value.error == "invalid_client_metadata"
    assert refused.value.description == (
        f'Invalid loopback client id "{client_id}": '
        'ATProto Loopback ClientID must include "atproto" scope'
    )


@pytest.mark.parametrize(
    ("client_id", "scope", "redirect_uris"),
    [
        ("http://localhost", "atproto", ["http://127.0.0.1/", "http://[::1]/"]),
        ("http://localhost/", "atproto", ["http://127.0.0.1/", "http://[::1]/"]),
        (
            "http://localhost/?scope=atproto+transition%3Ageneric"
            "&redirect_uri=http%3A%2F%2F%5B%3A%3A1%5D%3A8000%2Fcb",
            "atproto transition:generic",
            ["http://[::1]:8000/cb"],
        ),
    ],
)
def test_a_loopback_client_ids_defaults_and_declarations(client_id, scope, redirect_uris):
    assert loopback_client_params(client_id) == (scope, redirect_uris)


@pytest.mark.parametrize(
    ("allowed", "requested", "ok"),
    [
        ("https://a.example.com/cb", "https://a.example.com/cb", True),
        ("https://a.example.com/cb", "https://a.example.com/cb2", False),
        ("https://a.example.com/cb", "https://a.example.com:444/cb", False),
        ("http://127.0.0.1/", "http://127.0.0.1:8000/", True),  # any port if none given
        ("http://127.0.0.1:8000/cb", "http://127.0.0.1:8001/cb", False),
        ("http://127.0.0.1:8000/cb", "http://127.0.0.1:8000/cb", True),
        ("http://127.0.0.1/", "http://127.0.0.1:8000/auth/callback", False),  # path differs
        ("http://127.0.0.1/", "http://[::1]:8000/", False),
        ("http://127.0.0.1", "http://127.0.0.1:8000/", True),  # no path is "/"
        ("http://127.0.0.1/", "http://127.0.0.1:8000", True),
        ("http://127.0.0.1/cb", "http://127.0.0.1:8000", False),
        ("http://127.0.0.1:x/", "http://127.0.0.1:8000/", False),  # unparseable
    ],
)
def test_redirect_uri_comparison(allowed, requested, ok):
    assert redirect_uri_allowed(allowed, requested) is ok
