"""PostgreSQL in a container started by testcontainers.

Ryuk (testcontainers' reaper) needs a registry to start, so cleanup is ours:
containers carry labels naming the run, and each run removes what dead runs left."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid

from sqlalchemy.engine import URL

from tests.harness.postgres.readiness import wait_until_ready
from tests.harness.postgres.server import PostgresServer

DEFAULT_IMAGE = "talk-postgres:15"
LABEL = "talk-backend.test"
LABEL_PID = "talk-backend.test.pid"
LABEL_HOST = "talk-backend.test.host"
_PASSWORD = "talk-test"  # throwaway server reachable only on 127.0.0.1


class DockerUnavailable(RuntimeError):
    pass


def image_name() -> str:
    return os.environ.get("TALK_POSTGRES_IMAGE", DEFAULT_IMAGE)


def docker_client(timeout: float = 3.0):  # type: ignore[no-untyped-def]
    """A client for an engine that answers within `timeout`, or DockerUnavailable."""
    import docker

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as exc:
        raise DockerUnavailable(f"no Docker engine answers ({type(exc).__name__})") from None
    return client


def check_image(client) -> None:  # type: ignore[no-untyped-def]
    import docker.errors

    try:
        client.images.get(image_name())
    except docker.errors.ImageNotFound:
        raise DockerUnavailable(
            f"image {image_name()} is not in the local engine and cannot be pulled here "
            "(run `make images`)"
        ) from None


def remove_dead_runs(client) -> int:  # type: ignore[no-untyped-def]
    """Removes containers of earlier runs on this host whose pytest process is gone."""
    removed = 0
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        labels = container.labels
        if labels.get(LABEL_HOST) != socket.gethostname():
            continue
        pid = int(labels.get(LABEL_PID, "0"))
        if pid and _alive(pid):
            continue
        container.remove(force=True, v=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_container(*, ready_timeout: float = 30.0) -> PostgresServer:
    from testcontainers.core.config import ConnectionMode, testcontainers_config
    from testcontainers.core.container import DockerContainer

    # This host looks like a container (/.dockerenv); make testcontainers use the
    # published port on the host instead of the bridge gateway.
    testcontainers_config.ryuk_disabled = True
    testcontainers_config.connection_mode_override = ConnectionMode.docker_host

    client = docker_client()
    check_image(client)
    remove_dead_runs(client)
    started = time.monotonic()
    run_id = uuid.uuid4().hex[:12]
    container = (
        DockerContainer(image_name())
        .with_envs(POSTGRES_USER="talk", POSTGRES_PASSWORD=_PASSWORD, POSTGRES_DB="talk")
        .with_tmpfs_mount("/var/lib/postgresql/data")
        .with_command("postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        .with_kwargs(
            labels={
                LABEL: run_id,
                LABEL_PID: str(os.getpid()),
                LABEL_HOST: socket.gethostname(),
            }
        )
    )
    # Publish on loopback only: nothing but this host may reach the test server.
    container.ports["5432/tcp"] = ("127.0.0.1", None)  # type: ignore[assignment]
    try:
        container.start()
        port = int(container.get_exposed_port(5432))
        url = URL.create(
            "postgresql+asyncpg",
            username="talk",
            password=_PASSWORD,
            host="127.0.0.1",
            port=port,
            database="talk",
        )
        version = asyncio.run(wait_until_ready(url, timeout=ready_timeout))
    except BaseException:
        container.stop()
        raise
    return PostgresServer(
        source=f"testcontainers ({image_name()})",
        url=url,
        ready_seconds=time.monotonic() - started,
        version=version,
        _stop=container.stop,
    )
