"""The compose file cannot import Python: its PostgreSQL flags must equal the harness's
one definition (THROWAWAY_SETTINGS), so the two flows test on the same server."""

from pathlib import Path

import pytest
import yaml

from tests.harness.postgres.server import postgres_command

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "deployment" / "local" / "docker-compose.yml"


def test_compose_postgres_runs_with_the_harness_flags() -> None:
    if not COMPOSE_FILE.exists():
        pytest.skip(f"{COMPOSE_FILE} is not in this tree (not among the test's data files)")
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    assert compose["services"]["postgres"]["command"] == postgres_command()
