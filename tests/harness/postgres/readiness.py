"""Bounded wait for a server to accept queries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
from sqlalchemy.engine import URL

from tests.harness.postgres.server import asyncpg_connect_kwargs


class PostgresNotReady(RuntimeError):
    pass


async def wait_until_ready(
    url: URL,
    *,
    timeout: float,  # noqa: ASYNC109 - a deadline across retries, not one await
    interval: float = 0.05,
    gone: Callable[[], str | None] | None = None,
) -> str:
    """Polls until a query succeeds; returns the server version.

    Short polls matter: testcontainers' default 1 s interval is a large share of a
    cold start. `gone` reports a server process that died (a container that exited),
    so a broken server fails at once instead of after the whole timeout."""
    deadline = time.monotonic() + timeout
    next_check = time.monotonic() + 0.3
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            left = max(0.1, deadline - time.monotonic())
            conn = await asyncpg.connect(**asyncpg_connect_kwargs(url), timeout=min(2.0, left))
            try:
                return str(await conn.fetchval("SHOW server_version"))
            finally:
                await conn.close()
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            last = exc
        if gone is not None and time.monotonic() >= next_check:
            next_check = time.monotonic() + 0.3
            reason = await asyncio.to_thread(gone)
            if reason:
                raise PostgresNotReady(f"PostgreSQL exited before accepting connections: {reason}")
        await asyncio.sleep(interval)
    raise PostgresNotReady(
        f"PostgreSQL did not accept connections within {timeout:.1f} s "
        f"(last error: {type(last).__name__}: {last})"
    )
