"""Without an engine on the local socket, the Docker path is given up before the Docker
SDK is imported (with requests and urllib3, ~0.15 s of every run's start-up): in a
child process, so this run's own imports do not hide an import."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).absolute().parents[3]

_PROBE = """
import sys
from tests.harness.postgres.docker import DockerUnavailable, docker_client
try:
    docker_client(timeout=1)
except DockerUnavailable as exc:
    print(exc)
print("docker imported" if "docker" in sys.modules else "docker not imported")
"""


def _child_env(docker_host: str) -> dict[str, str]:
    # Under Bazel, this run's PYTHONPATH is what finds the dependencies.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TALK_TEST_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["DOCKER_HOST"] = docker_host
    return env


def _probe(docker_host: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=REPO,
        env=_child_env(docker_host),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_no_socket_is_named_without_importing_the_sdk(short_tmp: Path):
    out = _probe(f"unix://{short_tmp}/absent.sock")
    assert f"no Docker engine answers (no socket at {short_tmp}/absent.sock)" in out
    assert "docker not imported" in out


def test_a_socket_nobody_listens_on_is_named_without_importing_the_sdk(short_tmp: Path):
    path = short_tmp / "d.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bound:
        bound.bind(str(path))  # bound, never listening: a connect is refused
        out = _probe(f"unix://{path}")
    assert f"no Docker engine answers (nothing listens on {path})" in out
    assert "docker not imported" in out


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A unix socket's path must fit in 108 bytes; tmp_path under Bazel's TEST_TMPDIR
    may not (and a path too long is not "no engine": the SDK is asked then)."""
    path = Path(tempfile.mkdtemp(prefix="talk-sock-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
