"""How the project runs Alembic from Python: `serve`'s embedded server and the test
harness's template databases both upgrade through here. The command line does the same
with `alembic upgrade head` (alembic.ini and alembic/env.py are the one configuration).

alembic.ini is found at the repository root, or at TALK_ALEMBIC_INI (Bazel puts the
migrations in runfiles, away from this file)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection


def alembic_ini() -> Path:
    override = os.environ.get("TALK_ALEMBIC_INI")
    if override:
        # Not resolve(): runfiles are symlinks; resolving would leave the runfiles tree.
        return Path(override).absolute()
    return Path(__file__).resolve().parents[2] / "alembic.ini"


def alembic_config(url: str | None = None) -> Config:
    """The project's Alembic configuration; `url` replaces DATABASE__URL."""
    from alembic.config import Config

    ini = alembic_ini()
    if not ini.exists():
        raise SystemExit(f"{ini} not found: run from a source checkout or set TALK_ALEMBIC_INI")
    config = Config(str(ini))
    config.set_main_option("script_location", str(ini.parent / "alembic"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def heads() -> set[str]:
    """The head revisions of the migration scripts."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade_head(url: str) -> None:
    """Upgrades the database at `url` to the newest revision (blocking; alembic/env.py
    makes its own engine)."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def upgrade_head_on(connection: Connection) -> None:
    """The same on a connection the caller holds (and commits)."""
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
