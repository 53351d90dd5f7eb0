"""Bounded wait for a server to accept queries."""

from __future__ import annotations

import asyncio
import time

import asyncpg
from sqlalchemy.engine import URL

from tests.harness.postgres.server import asyncpg_connect_kwargs


class PostgresNotReady(RuntimeError):
    pass


async def wait_until_ready(url: URL, *, timeout: float, interval: float = 0.05) -> str:
    """Polls until a query succeeds; returns the server version. Short polls matter:
    the default 1 s interval of testcontainers is a large share of a cold start."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            conn = await asyncpg.connect(**asyncpg_connect_kwargs(url), timeout=2)
            try:
                return str(await conn.fetchval("SHOW server_version"))
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
            last = exc
            await asyncio.sleep(interval)
    raise PostgresNotReady(
        f"PostgreSQL did not accept connections within {timeout:.0f} s "
        f"(last error: {type(last).__name__})"
    )
