"""The compose file cannot import Python: its PostgreSQL flags must equal the harness's
one definition (THROWAWAY_SETTINGS), so the two flows test on the same server."""

from pathlib import Path

import yaml

from tests.harness.postgres.server import postgres_command

# absolute(), not resolve(): under Bazel the file is a runfiles symlink (a data file of
# the target), and resolving it would leave the runfiles tree.
COMPOSE_FILE = Path(__file__).absolute().parents[2] / "deployment" / "local" / "docker-compose.yml"


def test_compose_postgres_runs_with_the_harness_flags() -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    assert compose["services"]["postgres"]["command"] == postgres_command()
