"""`python -m tools.bench_api [--seconds N]` (make bench-api): talk-backend's HTTP API
against a plain FastAPI + asyncpg app, both on one embedded PostgreSQL, driven by wrk
over loopback. Prints the table docs/performance.md records."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from talk_backend.devtools.dev_bluesky import DEV_USER_HANDLE
from talk_backend.devtools.embedded_postgres import embedded_postgres, migrate
from talk_backend.devtools.fake_atproto.consent import decision_form
from tools.bench_api import wrk
from tools.bench_api.cleanup import runtime_dir_removed

COOKIE = "talk_session"  # SessionSettings' default cookie name
ROWS = (
    "api: GET /healthz, 1 connection",
    "api: GET /me, 1 connection",
    "api: GET /me, 16 connections",
    "peer: plain FastAPI + asyncpg, 1 connection",
    "peer: plain FastAPI + asyncpg, 16 connections",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[int]:
    with log.open("w") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far: per-request CPU is robust to a busy
    machine where wall-clock figures are not."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for(url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s; its log:\n{log.read_text()}")


def _sign_in(api: str) -> str:
    """The session cookie of the dev user, signed in through the fake Bluesky along
    the real redirects (sign-in, the consent page approved through its form, callback)."""
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        consent = client.post(f"{api}/auth/sign-in", json={"account": DEV_USER_HANDLE})
        consent.raise_for_status()
        try:
            form = decision_form(consent.text)
        except ValueError as exc:
            raise SystemExit(f"no consent page after POST /auth/sign-in: {exc}") from None
        authorize = str(consent.url).split("?")[0]
        client.post(authorize, data=form).raise_for_status()
        token = client.cookies.get(COOKIE)
        if not token:
            raise SystemExit("sign-in through the fake Bluesky gave no session cookie")
        me = client.get(f"{api}/me")
        if me.status_code != 200:
            raise SystemExit(f"GET /me after sign-in answered {me.status_code}: {me.text}")
    return token


def _cell(result: wrk.WrkResult) -> str:
    text = (
        f"| {result.requests_per_second:,.0f} | {result.p50 * 1000:.2f} ms "
        f"| {result.p99 * 1000:.2f} ms"
    )
    return text + (f" ({result.errors}) |" if result.errors else " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per row")
    args = parser.parse_args()
    # pgserver's platformdirs warns about XDG_RUNTIME_DIR on every start; noise here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make bench-api installs Debian's package)")
    load_before = os.getloadavg()
    results: dict[str, wrk.WrkResult] = {}
    cpu_per_request: dict[str, float] = {}
    with ExitStack() as stack:
        stack.enter_context(runtime_dir_removed())
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-api-")))
        url = stack.enter_context(embedded_postgres())
        migrate(url)
        api_port, peer_port = _free_port(), _free_port()
        api, peer = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{peer_port}"
        env = {**os.environ, "DATABASE__URL": url}
        serve = [sys.executable, "-m", "talk_backend.entrypoints.cli", "serve", "--dev-bluesky"]
        api_pid = stack.enter_context(
            _process([*serve, "--port", str(api_port)], env, work / "serve.log")
        )
        pg = make_url(url)
        peer_cmd = [sys.executable, "-m", "tools.bench_api.peer", "--port", str(peer_port)]
        peer_cmd += ["--host", str(pg.query["host"]), "--user", str(pg.username)]
        peer_pid = stack.enter_context(_process(peer_cmd, env, work / "peer.log"))
        _wait_for(f"{api}/healthz", work / "serve.log")
        _wait_for(f"{peer}/db", work / "peer.log")
        cookie = {"Cookie": f"{COOKIE}={_sign_in(api)}"}
        plan = [
            (ROWS[0], f"{api}/healthz", 1, {}, api_pid),
            (ROWS[1], f"{api}/me", 1, cookie, api_pid),
            (ROWS[3], f"{peer}/db", 1, {}, peer_pid),
            (ROWS[2], f"{api}/me", 16, cookie, api_pid),
            (ROWS[4], f"{peer}/db", 16, {}, peer_pid),
        ]
        for name, target, connections, headers, pid in plan:
            print(f"bench-api: {name} ...", file=sys.stderr, flush=True)
            wrk.run(target, connections=connections, seconds=1, headers=headers)  # warm-up
            cpu = _cpu_seconds(pid)
            results[name] = wrk.run(
                target, connections=connections, seconds=args.seconds, headers=headers
            )
            served = results[name].requests_per_second * args.seconds
            cpu_per_request[name] = (_cpu_seconds(pid) - cpu) / max(served, 1)
    load_after = os.getloadavg()
    print(
        f"talk-backend bench-api, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"wrk {args.seconds} s per row, load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after"
    )
    print("| | req/s | p50 | p99 | server CPU per request |\n|---|---|---|---|---|")
    for name in ROWS:
        print(f"| {name} {_cell(results[name])} {cpu_per_request[name] * 1e6:.0f} us |")
    me16, peer16 = results[ROWS[2]], results[ROWS[4]]
    me1, peer1 = results[ROWS[1]], results[ROWS[3]]
    throughput = me16.requests_per_second / peer16.requests_per_second
    print(
        f"talk-backend / peer throughput at 16 connections: {throughput:.2f}x "
        "(GET /me vs the peer; target >= 0.5x)"
    )
    ratio = me1.p50 / peer1.p50
    print(f"talk-backend / peer p50 at 1 connection: {ratio:.2f}x (GET /me vs the peer)")
    for name in ROWS[:2]:
        verdict = "met" if results[name].p50 <= 0.002 else "missed"
        print(f"target p50 <= 2 ms for {name.removeprefix('api: ')}: {verdict}")


if __name__ == "__main__":
    main()
