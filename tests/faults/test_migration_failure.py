"""A migration that fails halfway: the error names the revision, and no half-made
template is left to be reused."""

from __future__ import annotations

import asyncio
import shutil

import asyncpg
import pytest

from tests.faults.runs import REPO
from tests.harness.postgres import templates
from tests.harness.postgres.embedded import start_embedded
from tests.harness.postgres.server import asyncpg_connect_kwargs

BROKEN = """
import sqlalchemy as sa
from alembic import op

revision = "0999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_made", sa.Column("id", sa.Integer, primary_key=True))
    raise RuntimeError("this migration breaks halfway")


def downgrade() -> None:
    pass
"""


@pytest.fixture
def broken_migrations(tmp_path, monkeypatch):
    shutil.copy(REPO / "alembic.ini", tmp_path / "alembic.ini")
    shutil.copytree(REPO / "alembic", tmp_path / "alembic", ignore=shutil.ignore_patterns("BUILD*"))
    versions = sorted(p.stem for p in (tmp_path / "alembic" / "versions").glob("0*.py"))
    head = versions[-1].split("_")[0]
    (tmp_path / "alembic" / "versions" / "0999_broken.py").write_text(BROKEN.format(head=head))
    monkeypatch.setenv("TALK_ALEMBIC_INI", str(tmp_path / "alembic.ini"))
    monkeypatch.setenv("TALK_TEST_REUSE", "0")  # a server of its own, not a kept one


def test_failed_migration_names_the_revision_and_keeps_no_template(broken_migrations):
    server = start_embedded()
    try:
        with pytest.raises(templates.MigrationFailed, match=r"migration 0999 \(0999_broken\.py\)"):
            asyncio.run(templates.ensure_template(server))
        assert asyncio.run(_templates_on(server)) == []
    finally:
        server.stop()


async def _templates_on(server) -> list[str]:
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(server.url))
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", templates.TEMPLATE_PREFIX + "%"
        )
    finally:
        await conn.close()
    return [r["datname"] for r in rows]
