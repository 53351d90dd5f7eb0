"""Provisioning that never becomes ready: a bounded wait, a clear error, and the
container removed."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from sqlalchemy.engine import URL

from talk_backend.devtools import liveness
from talk_backend.devtools.postgres_ready import PostgresNotReady, wait_until_ready
from tests.faults.runs import require_docker_image
from tests.harness.postgres.docker import LABEL_RUN, docker_client, start_container


def test_a_server_that_accepts_but_never_answers_times_out_clearly():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        url = URL.create(
            "postgresql+asyncpg", "u", "p", "127.0.0.1", listener.getsockname()[1], "d"
        )
        started = time.monotonic()
        with pytest.raises(PostgresNotReady, match=r"within 1\.5 s"):
            asyncio.run(wait_until_ready(url, timeout=1.5))
        assert time.monotonic() - started < 6
    finally:
        listener.close()


@pytest.mark.docker
def test_a_container_that_never_becomes_ready_is_removed(monkeypatch):
    require_docker_image()
    client = docker_client()

    def mine() -> set[str]:
        # This process may hold its own session container too (docker source): compare.
        # By run, not PID: under Bazel another sandbox has a process with this PID.
        run = f"{LABEL_RUN}={liveness.this_run()}"
        found = client.containers.list(all=True, filters={"label": run})
        return {c.id for c in found}

    monkeypatch.setenv("TALK_TEST_REUSE", "0")  # a container of this run's, labelled so
    before = mine()
    started = time.monotonic()
    with pytest.raises(PostgresNotReady):
        start_container(command="sleep 600", ready_timeout=3)
    assert time.monotonic() - started < 30
    assert mine() == before
