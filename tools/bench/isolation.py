"""Per-test isolation on one server: rollback of the test's transaction, a fresh
database cloned from the template, and TRUNCATE of every table; and the env's
hand-out of a fresh database as a test with isolation="database" waits for it."""

from __future__ import annotations

import asyncio
import time

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from tests.harness.postgres import templates
from tests.harness.postgres.embedded import start_embedded
from tests.harness.postgres.server import PostgresServer, asyncpg_connect_kwargs
from tools.bench import generated, suites
from tools.bench.stats import Row

_WORK = "SELECT count(*) FROM users"  # the same statement in every variant


async def _rollback(server: PostgresServer, template: str, n: int) -> list[float]:
    url = await templates.clone(server, template, "talk_bench_rollback")
    engine = create_async_engine(url, pool_size=2)
    samples = []
    try:
        for _ in range(n):
            began = time.monotonic()
            async with engine.connect() as conn:  # what create_env_fixture does per test
                outer = await conn.begin()
                await conn.exec_driver_sql(_WORK)
                await outer.rollback()
            samples.append(time.monotonic() - began)
    finally:
        await engine.dispose()
        await templates.drop(server, "talk_bench_rollback")
    return samples


async def _fresh(server: PostgresServer, template: str, n: int) -> tuple[list[float], list[float]]:
    created, dropped = [], []
    for i in range(n):
        name = f"talk_bench_fresh_{i}"
        began = time.monotonic()
        url = await templates.clone(server, template, name)
        conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
        await conn.fetchval(_WORK)
        await conn.close()
        created.append(time.monotonic() - began)
        began = time.monotonic()
        await templates.drop(server, name)
        dropped.append(time.monotonic() - began)
    return created, dropped


async def _truncate(server: PostgresServer, template: str, n: int) -> list[float]:
    url = await templates.clone(server, template, "talk_bench_truncate")
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    samples = []
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ]
        statement = f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
        for _ in range(n):
            began = time.monotonic()
            await conn.fetchval(_WORK)
            await conn.execute(statement)
            samples.append(time.monotonic() - began)
    finally:
        await conn.close()
        await templates.drop(server, "talk_bench_truncate")
    return samples


def measure(n: int) -> list[Row]:
    server = start_embedded()
    try:

        async def run() -> list[Row]:
            template = await templates.ensure_template(server)
            created, dropped = await _fresh(server, template, max(10, n // 5))
            return [
                Row(
                    "isolation: transaction rollback, per test",
                    await _rollback(server, template, n),
                ),
                Row(
                    "isolation: fresh database from template",
                    created,
                    "CREATE ... TEMPLATE + first query",
                ),
                Row("isolation: dropping that database", dropped, "paid in teardown"),
                Row(
                    "isolation: TRUNCATE all tables, per test", await _truncate(server, template, n)
                ),
            ]

        return asyncio.run(run())
    finally:
        server.stop()


def handout(tests: int) -> Row:
    """What a test with isolation="database" waits for: the setup of its env fixture
    (a fresh database, the container, the engine), timed inside a child pytest run of
    typical tests, so the harness's own pool and background work are what they are
    in a real run. The first test's setup (server start, template) is left out."""
    suite = generated.handout_suite()
    return Row(
        suite.row, suites.fixture_setups(suite, tests), f"{tests} typical tests, setup of env"
    )
