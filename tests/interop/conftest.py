"""Interop fixtures: the reference Bluesky servers (PLC + PDS from npm, one pair per
session, on 127.0.0.1), the real app (uvicorn on 127.0.0.1, PostgreSQL from the
harness) as the loopback client or as a confidential client on https, and Debian's
Chromium signing in through the PDS's own pages.

Without the installed servers or Chromium the tests skip saying why; with CI=true
that is a failure (as in tests/browser)."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.async_api import Browser, async_playwright
from pydantic import SecretStr

from talk_backend.devtools.local_server import serving, socket_url
from talk_backend.entrypoints.http.app import create_app
from talk_backend.entrypoints.http.hosts import served_hosts
from talk_backend.settings import OAuthSettings, Settings
from tests.browser.conftest import (  # the same browser setup and screenshot rules
    CHROMIUM_ARGS,
    NewContext,
    Screenshots,
    chromium_path,
    new_context,
    page,
    pytest_runtest_makereport,
    screenshots,
)
from tests.factories import seed_member
from tests.fakes.tls import TlsFiles, tls_files
from tests.harness import Env, create_env_fixture
from tests.harness.plugin import _report as report  # the harness's own status line
from tests.interop.servers import (
    CLIENT_HOST,
    Account,
    ReferenceServers,
    create_account,
    missing_reason,
    running_servers,
)

__all__ = [
    "NewContext",
    "Screenshots",
    "chromium_path",
    "new_context",
    "page",
    "pytest_runtest_makereport",
    "screenshots",
]

LOOPBACK = "loopback"
CONFIDENTIAL = "confidential"
# Chromium resolves the confidential client's name to 127.0.0.1 and no other name at
# all (localhost it answers itself): a page cannot take it off this machine.
HOST_RULES = (
    f"--host-resolver-rules=MAP {CLIENT_HOST} 127.0.0.1, "
    "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def servers_installed() -> None:
    reason = missing_reason()
    if reason is None:
        return
    if _in_ci():
        pytest.fail(f"CI=true, so missing reference servers are a failure: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def client_tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return tls_files(tmp_path_factory.mktemp("interop-tls"), CLIENT_HOST)


@pytest.fixture(scope="session")
def reference_servers(
    servers_installed: None, client_tls: TlsFiles, pytestconfig: pytest.Config
) -> Iterator[ReferenceServers]:
    with running_servers(extra_ca_certs=client_tls.ca_file) as servers:
        report(
            pytestconfig,
            f"talk-backend interop: PLC {servers.plc_url} and PDS {servers.pds_url}, "
            f"ready in {servers.started_ms / 1000:.2f} s",
        )
        yield servers


@pytest.fixture
def new_account(reference_servers: ReferenceServers) -> Callable[[str], Account]:
    return lambda name: create_account(reference_servers, name)


@pytest_asyncio.fixture(loop_scope="session")
async def member(interop_env: Env, new_account: Callable[[str], Account]) -> Account:
    """An account at the PDS whose owner is a member here already (the operator path)."""
    alice = new_account("alice")
    await seed_member(interop_env, alice.did, alice.handle)
    return alice


@pytest.fixture
def client_kind(request: pytest.FixtureRequest) -> str:
    """Which OAuth client the app is: the loopback one (no key), or a confidential
    one (private_key_jwt) on https://talk.internal:PORT. Parametrize indirectly."""
    return str(getattr(request, "param", LOOPBACK))


def _client_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def point_at_reference_servers(base: Settings, request: pytest.FixtureRequest) -> Settings:
    """Settings hook: the real bluesky group resolves through the PLC and the PDS, and
    the PDS is the entryway."""
    servers: ReferenceServers = request.getfixturevalue("reference_servers")
    sock: socket.socket = request.getfixturevalue("api_socket")
    if request.getfixturevalue("client_kind") == CONFIDENTIAL:
        port = sock.getsockname()[1]
        public_url = f"https://{CLIENT_HOST}:{port}"
        private_key: SecretStr | None = SecretStr(_client_key_pem())
    else:
        public_url, private_key = socket_url(sock), None
    oauth = OAuthSettings(
        public_url=public_url,
        private_key=private_key,
        plc_directory_url=servers.plc_url,
        handle_resolver_url=servers.pds_url,
        allow_insecure_loopback=True,
    )
    return base.model_copy(update={"oauth": oauth, "atproto_pds_url": servers.pds_url})


interop_env = create_env_fixture(
    unmock={"persistence", "bluesky"}, isolation="database", settings=point_at_reference_servers
)


@pytest_asyncio.fixture(loop_scope="session")
async def app_url(
    interop_env: Env, api_socket: socket.socket, client_kind: str, client_tls: TlsFiles
) -> AsyncIterator[str]:
    """Where the browser finds the app: its public URL."""
    settings = await interop_env.get(Settings)
    app = create_app(interop_env.container, close_container=False, hosts=served_hosts(settings))
    if client_kind == CONFIDENTIAL:
        tls = (str(client_tls.cert_file), str(client_tls.key_file))
        async with serving(app, sock=api_socket, tls=tls):
            yield f"https://{CLIENT_HOST}:{api_socket.getsockname()[1]}"
    else:
        async with serving(app, sock=api_socket) as url:
            yield url


def _spki_sha256(cert_file: Path) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)): how Chromium names a key it is told to trust."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium(chromium_path: str, client_tls: TlsFiles) -> AsyncIterator[Browser]:
    """tests/browser's Chromium (its `new_context` and `page` fixtures use this one),
    plus: talk.internal resolves to 127.0.0.1 and nothing else resolves; the app's
    certificate is trusted by its key alone (not every certificate error is ignored);
    port 9, the contract client's redirect port where nothing listens, is allowed
    (Chromium refuses it as unsafe); no proxy from the environment."""
    args = [
        *CHROMIUM_ARGS,
        HOST_RULES,
        f"--ignore-certificate-errors-spki-list={_spki_sha256(client_tls.cert_file)}",
        "--explicitly-allowed-ports=9",
        "--no-proxy-server",
    ]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=args, timeout=60_000
        )
        try:
            yield browser
        finally:
            await browser.close()
