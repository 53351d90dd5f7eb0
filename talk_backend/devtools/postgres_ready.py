"""Waiting for a PostgreSQL server to accept queries, and the URL forms asyncpg takes.

`python -m talk_backend.devtools.postgres_ready` waits for DATABASE__URL's server for up
to TALK_DB_WAIT_SECONDS (60), polling every 50 ms, and exits 3 with a hint when it does
not answer: the first step of scripts/run-integration-tests.sh. The test harness waits
for the servers it starts with the same function. Light on purpose (asyncpg and
sqlalchemy.engine only): the runner pays for its imports on every run."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable

import asyncpg
from sqlalchemy.engine import URL, make_url


def asyncpg_url(raw: str) -> URL:
    """Accepts postgresql:// or postgresql+asyncpg:// and returns the asyncpg form."""
    url = make_url(raw)
    if url.get_backend_name() != "postgresql":
        raise ValueError("DATABASE__URL must be a postgresql URL")
    return url.set(drivername="postgresql+asyncpg")


def asyncpg_connect_kwargs(url: URL) -> dict[str, object]:
    """asyncpg.connect() arguments for a SQLAlchemy URL (TCP or unix socket)."""
    kwargs: dict[str, object] = {
        "user": url.username,
        "password": url.password,
        "database": url.database,
    }
    host = url.query.get("host")
    kwargs["host"] = host if isinstance(host, str) else url.host
    if url.port:
        kwargs["port"] = url.port
    return kwargs


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


def main() -> int:
    raw = os.environ.get("DATABASE__URL")
    if not raw:
        print("postgres_ready: DATABASE__URL is not set: no server to wait for", file=sys.stderr)
        return 2
    url = asyncpg_url(raw)
    where = url.render_as_string(hide_password=True)
    started = time.monotonic()
    try:
        timeout = float(os.environ.get("TALK_DB_WAIT_SECONDS", "60"))
        version = asyncio.run(wait_until_ready(url, timeout=timeout))
    except PostgresNotReady as exc:
        print(f"postgres_ready: {where}: {exc}", file=sys.stderr)
        print("postgres_ready: is the postgres service up? (docker compose ps)", file=sys.stderr)
        return 3
    waited = time.monotonic() - started
    print(f"postgres_ready: PostgreSQL {version} at {where} answered after {waited:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
