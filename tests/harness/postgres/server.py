"""A running PostgreSQL server the harness may create databases on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import URL

from talk_backend.devtools.postgres_ready import (
    PostgresNotReady,
    asyncpg_connect_kwargs,
    wait_until_ready,
)

__all__ = [
    "PostgresServer",
    "asyncpg_connect_kwargs",
    "attach_running",
    "postgres_command",
]

# Durability is worthless for a throwaway server: commits, CREATE DATABASE and DROP
# DATABASE get several times cheaper. jit=off: the talk-postgres image drops LLVM.
# The container gets them on its command line, the embedded server by ALTER SYSTEM, and
# deployment/local/docker-compose.yml repeats them (tests/docs/test_compose_file.py).
THROWAWAY_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "jit": "off",
}


def postgres_command() -> list[str]:
    """`postgres -c NAME=VALUE ...` for THROWAWAY_SETTINGS."""
    flags = (arg for item in THROWAWAY_SETTINGS.items() for arg in ("-c", "=".join(item)))
    return ["postgres", *flags]


@dataclass
class PostgresServer:
    source: str  # "DATABASE__URL", "testcontainers (image)", "embedded (pgserver)"
    url: URL  # postgresql+asyncpg URL of a maintenance database on the server
    ready_seconds: float
    version: str = "?"
    reused: bool = False  # found running from an earlier run (TALK_TEST_REUSE=1)
    _stop: Callable[[], None] | None = field(default=None, repr=False)
    # Fault tests crash the server on purpose; None for servers the harness does not own.
    _kill: Callable[[], None] | None = field(default=None, repr=False)

    def database_url(self, name: str) -> URL:
        return self.url.set(database=name)

    def stop(self) -> None:
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop()

    def kill(self) -> None:
        """Crashes the server without a clean shutdown (for fault tests)."""
        if self._kill is None:
            raise RuntimeError(f"the harness cannot kill a server from {self.source}")
        self._kill()


def attach_running(url: URL, source: str, kill: Callable[[], None]) -> PostgresServer | None:
    """A server an earlier run left running at `url` (kept for reuse), if it answers
    within a second; None otherwise."""
    started = time.monotonic()
    try:
        version = asyncio.run(wait_until_ready(url, timeout=1.0))
    except PostgresNotReady:
        return None
    return PostgresServer(
        source=source,
        url=url,
        ready_seconds=time.monotonic() - started,
        version=version,
        reused=True,
        _kill=kill,
    )
