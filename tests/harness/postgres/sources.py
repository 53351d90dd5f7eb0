"""Picks the PostgreSQL source: DATABASE__URL, else Docker, else embedded.

TALK_TEST_POSTGRES=url|docker|embedded forces one (and fails loudly if it cannot)."""

from __future__ import annotations

import asyncio
import os
import time

from talk_backend.devtools.postgres_ready import asyncpg_url, wait_until_ready
from tests.harness.postgres.docker import DockerUnavailable, start_container
from tests.harness.postgres.embedded import PLACEMENT, start_embedded
from tests.harness.postgres.server import PostgresServer

CHOICES = ("auto", "url", "docker", "embedded")


def provision(log: list[str]) -> PostgresServer:
    """Starts or finds a server; appends one line per fallback taken to `log`."""
    choice = os.environ.get("TALK_TEST_POSTGRES", "auto").strip() or "auto"
    if choice not in CHOICES:
        raise ValueError(f"TALK_TEST_POSTGRES must be one of {', '.join(CHOICES)}, not {choice!r}")
    raw_url = os.environ.get("DATABASE__URL")
    if choice == "url" or (choice == "auto" and raw_url):
        if not raw_url:
            raise RuntimeError("TALK_TEST_POSTGRES=url but DATABASE__URL is not set")
        return _from_url(raw_url)
    if choice in ("auto", "docker"):
        try:
            return start_container()
        except DockerUnavailable as exc:
            if choice == "docker":
                raise
            log.append(f"Docker path skipped: {exc}")
    log.append(PLACEMENT.line)
    return start_embedded()


def _from_url(raw_url: str) -> PostgresServer:
    started = time.monotonic()
    url = asyncpg_url(raw_url)
    version = asyncio.run(wait_until_ready(url, timeout=30))
    return PostgresServer(
        source="DATABASE__URL", url=url, ready_seconds=time.monotonic() - started, version=version
    )
