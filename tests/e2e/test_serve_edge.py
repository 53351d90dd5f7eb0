"""`talk-backend serve` itself applies the edge settings (HTTP__*): a real process,
configured through the environment, on a database from the harness."""

from __future__ import annotations

import re

from tests.e2e.raw_http import exchange
from tests.e2e.serve_process import Serve, stop_quietly
from tests.harness import create_env_fixture

database_env = create_env_fixture(unmock={"persistence"}, isolation="database")
LIMIT, MARGIN = 0.5, 3.0


async def test_serve_reads_its_limits_and_hosts_from_the_environment(database_env):
    serve = Serve.start(
        "--dev-bluesky",
        "--port",
        "0",
        DATABASE__URL=database_env.database_url,
        HTTP__HEADER_TIMEOUT_SECONDS=str(LIMIT),
        HTTP__BODY_TIMEOUT_SECONDS=str(LIMIT),
    )
    try:
        line = serve.wait_for("talk-backend (dev Bluesky) on")
        port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))  # type: ignore[union-attr]

        idle = await exchange(port, b"", wait=LIMIT + MARGIN)
        assert idle.closed and idle.seconds < LIMIT + MARGIN

        half_body = b"POST /auth/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9\r\n\r\n{"
        stalled = await exchange(port, half_body, wait=LIMIT + MARGIN)
        assert stalled.statuses == [408] and stalled.seconds < LIMIT + MARGIN

        foreign = await exchange(port, b"GET /me/ HTTP/1.1\r\nHost: evil.invalid\r\n\r\n")
        assert foreign.statuses == [400] and b"evil" not in foreign.received

        smuggled = await exchange(
            port,
            b"POST /auth/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            b"GET /me HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        )
        assert smuggled.statuses == [400] and smuggled.closed
    finally:
        stop_quietly(serve)
    assert serve.proc.returncode == 0, serve.output()
