"""Runs pytest in a child process on a generated test file, and finds what a run
left behind. The fault tests crash, interrupt and starve these child runs; the
parent run stays healthy and checks the aftermath."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from talk_backend.devtools import liveness
from tests.child_suite import write_pytest_ini
from tests.harness.postgres.docker import (
    LABEL,
    LABEL_PID,
    LABEL_RUN,
    DockerUnavailable,
    docker_client,
    image_id,
    image_name,
)
from tests.harness.postgres.embedded import DATA_ROOTS, SHARED_PREFIX, TEMP_PREFIX

# No resolve(): under Bazel this file is a runfiles symlink and the repo is the runfiles tree.
REPO = Path(__file__).absolute().parents[2]
HEADER = """\
import os, asyncio, pathlib, pytest
from tests.harness import create_env_fixture
integration_env = create_env_fixture(unmock={"persistence"})
"""


def write_suite(directory: Path, body: str) -> Path:
    write_pytest_ini(directory)
    path = directory / "test_generated.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def child_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["TALK_TEST_REUSE"] = "0"  # a kept server would outlive the child by design
    # Each test picks its source explicitly; an inherited one would bypass the path under test.
    env.pop("DATABASE__URL", None)
    env.pop("TALK_TEST_POSTGRES", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(overrides)
    return env


def start_pytest(directory: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    # The child's temporary files live inside this test's directory: a child that is
    # killed on purpose cannot clean its pytest-of-<user> tree, the parent's tmp_path can.
    child_tmp = directory / ".tmp"
    child_tmp.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-s", str(directory), *args],
        cwd=directory,
        env=child_env(TMPDIR=str(child_tmp), **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_pytest(directory: Path, *args: str, timeout: float = 120, **env: str) -> tuple[int, str]:
    proc = start_pytest(directory, *args, **env)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"child pytest hung for {timeout:.0f} s:\n{out}")
    return proc.returncode, out


def leftovers(pid: int) -> list[str]:
    """Everything a run with this pid may have left: data dirs (found by what their owner
    files say), servers, containers. Shared data dirs are named after their
    controller's run, which the parent does not know: any of a dead run counts."""
    owned = liveness.description(pid)
    found = [
        str(marker.with_name(marker.name.removesuffix(liveness.OWNER_SUFFIX)))
        for root in DATA_ROOTS
        for marker in root.glob(f"{TEMP_PREFIX}*{liveness.OWNER_SUFFIX}")
        if _reads(marker) == owned
    ]
    found += [
        str(path)
        for root in DATA_ROOTS
        for path in root.glob(f"{SHARED_PREFIX}*")
        if not liveness.run_alive(path.name[len(SHARED_PREFIX) :])
    ]
    try:
        client = docker_client(timeout=2)
    except DockerUnavailable:
        return found
    containers = client.containers.list(all=True, filters={"label": f"{LABEL_PID}={pid}"})
    # Under Bazel another sandbox may have a live run with the same PID: it is alive.
    containers = [c for c in containers if not liveness.run_alive(c.labels.get(LABEL_RUN, ""))]
    return found + [f"container {c.short_id} ({LABEL})" for c in containers]


def _reads(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def require_docker_image() -> None:
    """Skips (with the reason) when no engine answers or the image is missing."""
    try:
        image_id(docker_client(timeout=2), image_name())
    except DockerUnavailable as exc:
        pytest.skip(f"needs Docker: {exc}")


SOURCES = [
    pytest.param("embedded", id="embedded"),
    pytest.param("docker", id="docker", marks=pytest.mark.docker),
]


def require_source(source: str) -> None:
    if source == "docker":
        require_docker_image()
