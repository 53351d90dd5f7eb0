"""A throwaway PostgreSQL from the pgserver wheel: no Docker, no system packages."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time

from sqlalchemy.engine import URL

from tests.harness.postgres.readiness import wait_until_ready
from tests.harness.postgres.server import PostgresServer

TEMP_PREFIX = "talk-test-pg-"


def start_embedded() -> PostgresServer:
    import pgserver  # imported late: only this source needs it

    started = time.monotonic()
    # A short path: the unix socket lives inside and socket paths are length-limited.
    pgdata = tempfile.mkdtemp(prefix=TEMP_PREFIX, dir="/tmp")
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="delete")
    except BaseException:
        shutil.rmtree(pgdata, ignore_errors=True)
        raise
    socket_dir = server.get_postmaster_info().socket_dir
    url = URL.create(
        "postgresql+asyncpg",
        username="postgres",
        database="postgres",
        query={"host": str(socket_dir)},
    )
    version = asyncio.run(wait_until_ready(url, timeout=30))

    def stop() -> None:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)

    return PostgresServer(
        source="embedded (pgserver)",
        url=url,
        ready_seconds=time.monotonic() - started,
        version=version,
        _stop=stop,
    )
