"""The cache of migrated data directories with a real embedded server, in child runs
(throwaway servers, a cache directory of this test's own): a cold run builds the entry
once and the next copies it; a changed migration builds a new entry whose template has
the new schema; an entry that no longer starts is replaced, and the run still passes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.faults.runs import REPO, run_pytest, write_suite
from tests.harness.postgres import datadir_cache

SUITE = """
@pytest.mark.asyncio(loop_scope="session")
async def test_migrated(integration_env):
    rows = await integration_env.fetch("SELECT count(*) AS n FROM alembic_version")
    assert rows[0].n == 1
    if os.environ.get("EXPECT_PROBE_TABLE"):
        assert (await integration_env.fetch("SELECT count(*) AS n FROM cache_probe"))[0].n == 0
"""

PROBE_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "0998"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("cache_probe", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("cache_probe")
"""


@pytest.fixture
def cached_run(tmp_path):
    cache = tmp_path / "cache"
    suite = tmp_path / "suite"
    suite.mkdir()
    write_suite(suite, SUITE)

    def run(**env: str) -> str:
        code, out = run_pytest(
            suite,
            TALK_TEST_POSTGRES="embedded",
            TALK_TEST_PGDATA_CACHE="1",
            TALK_TEST_PGDATA_CACHE_DIR=str(cache),
            **env,
        )
        assert code == 0, out
        return next(x for x in out.splitlines() if "talk-backend tests: PostgreSQL" in x)

    run.cache = cache  # type: ignore[attr-defined]
    return run


def _entries(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir())


def _template(line: str) -> str:
    return re.search(r"template (\S+)", line).group(1)  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_cold_run_builds_the_entry_once_and_the_next_copies_it(cached_run):
    first = cached_run()
    assert "data directory cache built" in first, first
    entries = _entries(cached_run.cache)
    assert len(entries) == 1 and entries[0].startswith("pg")
    second = cached_run()
    assert "data directory from the cache" in second, second
    assert _template(first) == _template(second)
    assert _entries(cached_run.cache) == entries


@pytest.mark.slow
def test_a_changed_migration_builds_a_new_entry(cached_run, tmp_path):
    before = cached_run()
    shutil.copy(REPO / "alembic.ini", tmp_path / "alembic.ini")
    shutil.copytree(REPO / "alembic", tmp_path / "alembic", ignore=shutil.ignore_patterns("BUILD*"))
    versions = sorted(p.stem for p in (tmp_path / "alembic" / "versions").glob("0*.py"))
    head = versions[-1].split("_")[0]
    probe = tmp_path / "alembic" / "versions" / "0998_cache_probe.py"
    probe.write_text(PROBE_MIGRATION.format(head=head))
    changed = dict(TALK_ALEMBIC_INI=str(tmp_path / "alembic.ini"), EXPECT_PROBE_TABLE="1")
    after = cached_run(**changed)
    assert "data directory cache built" in after, after
    assert _template(after) != _template(before)
    assert len(_entries(cached_run.cache)) == 2
    assert "data directory from the cache" in cached_run(**changed)


@pytest.mark.slow
def test_an_entry_that_does_not_start_is_replaced(cached_run):
    cached_run()
    (entry,) = cached_run.cache.iterdir()
    (entry / "global" / "pg_control").unlink()  # damaged after it was published
    damaged = cached_run()
    assert "the cached data directory did not start" in damaged, damaged
    assert _entries(cached_run.cache) == []
    assert "data directory cache built" in cached_run()
    assert datadir_cache.COMPLETE in {p.name for p in entry.iterdir()}
