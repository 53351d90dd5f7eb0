"""Migrated template databases, keyed by a hash of the migrations, and clones of them.

Migrating once and cloning (CREATE DATABASE ... TEMPLATE) is what makes a fresh,
fully migrated database cost milliseconds instead of a migration run. When the server's
own database is already at the newest revision (the compose and Bazel runners run
`alembic upgrade head` on DATABASE__URL before pytest), the template is a copy of it:
migrations run once per run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import asyncpg
from sqlalchemy import pool
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from talk_backend.devtools import liveness
from talk_backend.devtools.migrations import alembic_ini, heads, upgrade_head_on
from tests.harness.postgres.server import PostgresServer, asyncpg_connect_kwargs

TEMPLATE_PREFIX = "talk_tpl_"
# Clone names carry their run's name (liveness.this_run) so a later run can tell which
# owners are gone: talk_test_<run>_<n>.
CLONE_PREFIX = "talk_test_"
_LOCK_KEY = 0x7A1C  # advisory lock serialising template builds across processes


def migrations_hash() -> str:
    root = alembic_ini().parent / "alembic"
    digest = hashlib.sha256()
    for path in sorted([root / "env.py", *root.glob("versions/*.py")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


async def _admin(server: PostgresServer, database: str | None = None) -> asyncpg.Connection:
    url = server.url if database is None else server.database_url(database)
    return await asyncpg.connect(**asyncpg_connect_kwargs(url))


async def _maintenance(server: PostgresServer) -> asyncpg.Connection:
    """A connection to the `postgres` database where it exists (so that the server's own
    database has no sessions while it is copied), else to the server's database."""
    if server.url.database != "postgres":
        try:
            return await _admin(server, "postgres")
        except (asyncpg.InvalidCatalogNameError, asyncpg.InvalidAuthorizationSpecificationError):
            pass
    return await _admin(server)


async def _exists(conn: asyncpg.Connection, name: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))


class MigrationFailed(RuntimeError):
    pass


async def _migrate(url: URL) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(upgrade_head_on)
            await conn.commit()
    finally:
        await engine.dispose()


async def ensure_template(server: PostgresServer) -> str:
    """Returns the name of a fully migrated template, building it if needed.

    Built under another name and renamed when complete, so a failed migration never
    leaves a half-made template to be reused."""
    name = TEMPLATE_PREFIX + migrations_hash()
    conn = await _maintenance(server)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            if await _exists(conn, name):
                return name
            building = f"{name}_build"
            await conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            if not await _copy_if_at_head(server, conn, building):
                await conn.execute(f'CREATE DATABASE "{building}"')
                try:
                    await _migrate(server.database_url(building))
                except Exception as exc:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
                    raise MigrationFailed(
                        f"migration {_failed_revision(exc)} failed while building the template "
                        f"(nothing was kept): {type(exc).__name__}: {exc}"
                    ) from exc
            await conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            await _drop_stale_templates(conn, keep=name)
            return name
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()


async def _copy_if_at_head(server: PostgresServer, conn: asyncpg.Connection, copy: str) -> bool:
    """Copies the server's own database to `copy` when it holds the schema at the newest
    revision and nothing else; False (nothing made) otherwise. Not the `postgres`
    database: every admin session sits there, and a copy needs its source unused."""
    source = server.url.database
    if not source or source == "postgres" or source.startswith((TEMPLATE_PREFIX, CLONE_PREFIX)):
        return False
    probe = await _admin(server)
    try:
        if await probe.fetchval("SELECT to_regclass('public.alembic_version')") is None:
            return False
        revisions = {row[0] for row in await probe.fetch("SELECT version_num FROM alembic_version")}
        if revisions != heads() or await _holds_rows(probe):
            return False
    finally:
        await probe.close()
    try:
        await conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"')
    except asyncpg.ObjectInUseError:
        return False  # another client is connected to it: migrate as usual
    return True


async def _holds_rows(conn: asyncpg.Connection) -> bool:
    """Whether any table but alembic_version has a row (a database in use, not one
    a runner has just migrated)."""
    tables = await conn.fetch(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name"
        " FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        " AND tablename <> 'alembic_version'"
    )
    for table in tables:
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table['name']})"):
            return True
    return False


def _failed_revision(exc: BaseException) -> str:
    """The revision whose migration module raised, read from the traceback."""
    revision = "(unknown revision)"
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals
        if "/versions/" in tb.tb_frame.f_code.co_filename and "revision" in module:
            revision = f"{module['revision']} ({Path(tb.tb_frame.f_code.co_filename).name})"
        tb = tb.tb_next
    return revision


async def _drop_stale_templates(conn: asyncpg.Connection, keep: str) -> None:
    rows = await conn.fetch(
        "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2",
        TEMPLATE_PREFIX + "%",
        keep,
    )
    for row in rows:
        await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')


async def clone(server: PostgresServer, template: str, name: str) -> URL:
    conn = await _admin(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # FILE_COPY copies the template's few files: 11 ms a clone where PostgreSQL
        # 15+'s default, WAL_LOG (which logs every block), took 14-20 ms here.
        strategy = " STRATEGY FILE_COPY" if conn.get_server_version().major >= 15 else ""
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}')
    finally:
        await conn.close()
    return server.database_url(name)


async def drop(server: PostgresServer, name: str) -> None:
    conn = await _admin(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def drop_orphan_clones(server: PostgresServer) -> int:
    """Drops clones whose run is provably dead (runs it cannot judge are left alone)."""
    conn = await _admin(server)
    dropped = 0
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{CLONE_PREFIX}%"
        )
        for row in rows:
            run = row["datname"][len(CLONE_PREFIX) :].rsplit("_", 1)[0]
            if not liveness.run_alive(run):
                await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
                dropped += 1
    finally:
        await conn.close()
    return dropped
