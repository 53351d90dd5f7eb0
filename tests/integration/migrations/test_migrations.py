"""Migrations: one head, a clean stairway, and tables.py matching what they build."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import command
from talk_backend.devtools.migrations import alembic_config
from talk_backend.infrastructure.persistence.tables import metadata
from tests.harness import create_env_fixture

empty_env = create_env_fixture(unmock={"persistence"}, isolation="database")


def test_single_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"


async def _on_connection(url, fn):
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            result = await conn.run_sync(fn)
            await conn.commit()
            return result
    finally:
        await engine.dispose()


def _with_alembic(action, *args):
    def run(sync_conn):
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        action(cfg, *args)

    return run


def _tables(sync_conn):
    return set(sa.inspect(sync_conn).get_table_names()) - {"alembic_version"}


async def test_stairway_down_to_base_and_up_again(empty_env):
    """Every revision downgrades and re-upgrades cleanly (the database starts at head)."""
    url = empty_env.database_url
    revisions = list(ScriptDirectory.from_config(alembic_config()).walk_revisions())
    assert await _on_connection(url, _tables) >= {"users", "invites"}
    for revision in revisions:  # head first
        await _on_connection(
            url, _with_alembic(command.downgrade, revision.down_revision or "base")
        )
        await _on_connection(url, _with_alembic(command.upgrade, revision.revision))
        await _on_connection(
            url, _with_alembic(command.downgrade, revision.down_revision or "base")
        )
    assert await _on_connection(url, _tables) == set()
    await _on_connection(url, _with_alembic(command.upgrade, "head"))
    assert await _on_connection(url, _tables) >= {"users", "invites"}


async def test_tables_module_matches_migrations(empty_env):
    def diff(sync_conn):
        return compare_metadata(MigrationContext.configure(sync_conn), metadata)

    differences = await _on_connection(empty_env.database_url, diff)
    assert differences == [], f"tables.py and the migrations disagree: {differences}"
