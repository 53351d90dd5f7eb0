"""A running PostgreSQL server the harness may create databases on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import URL, make_url


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
