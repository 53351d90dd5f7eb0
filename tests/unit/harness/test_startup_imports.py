"""What a test run imports before its first test: the one-test loop's start-up is mostly
imports (docs/performance.md). The project's plugins load in every run, so what they
import at module level every run pays; these child runs catch one that creeps back."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.child_suite import write_pytest_ini

# No resolve(): under Bazel this file is a runfiles symlink and the repo is the runfiles tree.
REPO = Path(__file__).absolute().parents[3]
PLUGINS = ("tests.harness.plugin", "tests.fakes.atproto_fixtures")  # as tests/conftest.py
HEAVY = {"pydantic", "pydantic_settings", "sqlalchemy", "asyncpg", "dishka", "uvicorn", "joserfc"}

_REPORT = """
import json, sys

def report():
    roots = {m.split(".")[0] for m in sys.modules}
    with open("loaded.json", "w") as f:
        json.dump(sorted(roots), f)
"""


def _child_env() -> dict[str, str]:
    # This run's environment (under Bazel its PYTHONPATH finds the dependencies), with
    # nothing of this run's pytest or harness: the child starts as a developer's would.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TALK_TEST_"))}
    env.pop("DATABASE__URL", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _loaded(directory: Path, body: str) -> set[str]:
    write_pytest_ini(directory, PLUGINS)
    (directory / "test_generated.py").write_text(_REPORT + body)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", str(directory)],
        cwd=directory,
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return set(json.loads((directory / "loaded.json").read_text()))


def test_a_unit_test_run_imports_none_of_the_heavy_libraries(tmp_path):
    loaded = _loaded(tmp_path, "\ndef test_plain():\n    report()\n")
    assert loaded & HEAVY == set()
    assert "pytest" in loaded  # the report saw the run's modules


def test_a_run_with_every_group_faked_loads_no_database_no_jose_and_no_server(tmp_path):
    """Persistence faked: no SQLAlchemy, no asyncpg. The container builds the client
    identity in every run; a public client never signs, so joserfc (and cryptography
    under it) waits for a key. No test server starts, so uvicorn is not loaded either."""
    body = """
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from tests.harness import create_env_fixture

env = create_env_fixture()

async def test_faked(env):
    await env.get(CreateInvite)
    assert (await env.get(ClientIdentity)).metadata()["token_endpoint_auth_method"] == "none"
    report()
"""
    loaded = _loaded(tmp_path, body)
    assert {"dishka", "pydantic"} <= loaded  # the container was built
    assert loaded & {"sqlalchemy", "asyncpg", "joserfc", "cryptography", "uvicorn"} == set()


# Without an engine on the local socket, the Docker path is given up before the Docker
# SDK is imported (with requests and urllib3, ~0.15 s of every run's start-up).
_DOCKER_PROBE = """
import sys
from tests.harness.postgres.docker import DockerUnavailable, docker_client
try:
    docker_client(timeout=1)
except DockerUnavailable as exc:
    print(exc)
print("docker imported" if "docker" in sys.modules else "docker not imported")
"""


def _probe_docker(docker_host: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _DOCKER_PROBE],
        cwd=REPO,
        env={**_child_env(), "DOCKER_HOST": docker_host},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A unix socket's path must fit in 108 bytes; tmp_path under Bazel's TEST_TMPDIR
    may not (and a path too long is not "no engine": the SDK is asked then)."""
    path = Path(tempfile.mkdtemp(prefix="talk-sock-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_no_docker_socket_is_named_without_importing_the_sdk(short_tmp: Path):
    out = _probe_docker(f"unix://{short_tmp}/absent.sock")
    assert f"no Docker engine answers (no socket at {short_tmp}/absent.sock)" in out
    assert "docker not imported" in out


def test_a_docker_socket_nobody_listens_on_is_named_without_importing_the_sdk(short_tmp: Path):
    path = short_tmp / "d.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bound:
        bound.bind(str(path))  # bound, never listening: a connect is refused
        out = _probe_docker(f"unix://{path}")
    assert f"no Docker engine answers (nothing listens on {path})" in out
    assert "docker not imported" in out
