"""PostgreSQL in a container started by testcontainers.

Ryuk (testcontainers' reaper) needs a registry to start, so cleanup is ours:
containers carry labels naming the run, and each run removes what dead runs left.
A run is alive while it holds its owner file (talk_backend/devtools/liveness.py), not
while some process has its PID: under Bazel's sandbox every test has a PID namespace of
its own."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from typing import Any

from sqlalchemy.engine import URL

from talk_backend.devtools import liveness
from talk_backend.devtools.postgres_ready import wait_until_ready
from tests.harness.postgres import reuse
from tests.harness.postgres.server import PostgresServer, attach_running, postgres_command

DEFAULT_IMAGE = "talk-postgres:15"
LABEL = "talk-backend.test"
LABEL_PID = "talk-backend.test.pid"  # for people and the fault tests; decides nothing
LABEL_RUN = "talk-backend.test.run"  # the lock of the run that owns the container
LABEL_HOST = "talk-backend.test.host"
LABEL_REUSE = "talk-backend.test.reuse"  # settings key of a container kept across runs
_PASSWORD = "talk-test"  # throwaway server reachable only on 127.0.0.1
_DATA = "/var/lib/postgresql/data"
TUNED_COMMAND = " ".join(postgres_command())


class DockerUnavailable(RuntimeError):
    pass


def image_name() -> str:
    return os.environ.get("TALK_POSTGRES_IMAGE", DEFAULT_IMAGE)


def _no_engine_socket() -> str | None:
    """Why no engine can answer on the local socket DOCKER_HOST names (or the default
    one), or None: there is a listener, or DOCKER_HOST is not a unix socket. Asked before
    the Docker SDK is imported: with requests and urllib3 it costs ~0.15 s of CPU, which
    a run on a machine without an engine (the embedded server) would pay at every start."""
    host = os.environ.get("DOCKER_HOST", "") or "unix:///var/run/docker.sock"
    if not host.startswith("unix://"):
        return None
    path = host.removeprefix("unix://")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except FileNotFoundError:
            return f"no socket at {path}"
        except ConnectionRefusedError:
            return f"nothing listens on {path}"
        except OSError:
            return None  # e.g. permissions: the SDK's error says it better
    return None


def docker_client(timeout: float = 3.0) -> Any:
    """A client for an engine that answers within `timeout`, or DockerUnavailable."""
    absent = _no_engine_socket()
    if absent is not None:
        raise DockerUnavailable(f"no Docker engine answers ({absent})")
    import docker

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as exc:
        raise DockerUnavailable(f"no Docker engine answers ({type(exc).__name__})") from None
    return client


def image_id(client: Any, image: str) -> str:
    import docker.errors

    try:
        return str(client.images.get(image).id)
    except docker.errors.ImageNotFound:
        raise DockerUnavailable(
            f"image {image} is not in the local engine and is never pulled "
            "(run `make images`, or set TALK_POSTGRES_IMAGE)"
        ) from None


def remove_dead_runs(client: Any, keep_reuse_key: str | None = None) -> int:
    """Removes this host's containers whose pytest process is gone, and this checkout's
    kept containers whose settings no longer match (`keep_reuse_key`, when keeping)."""
    import docker.errors

    removed = 0
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        labels = container.labels
        if labels.get(LABEL_HOST, "").split("/")[0] != socket.gethostname():
            continue
        if LABEL_REUSE in labels:
            kept = labels[LABEL_REUSE]
            if keep_reuse_key is None or kept == keep_reuse_key or not _stale(kept):
                continue
        elif liveness.run_alive(labels.get(LABEL_RUN, "")):
            continue  # alive, or not ours to judge (no run name: an older harness's)
        try:
            container.remove(force=True, v=True)
        except docker.errors.APIError:
            continue  # another run (an xdist worker) is removing it right now
        removed += 1
    liveness.sweep_dead_runs()
    return removed


def start_container(
    *, image: str | None = None, command: str = TUNED_COMMAND, ready_timeout: float = 30.0
) -> PostgresServer:
    client = docker_client()
    image = image or image_name()
    # Always asked first: a missing image would make testcontainers try to pull it,
    # which fails here (no registry) and is slow anywhere else.
    local_image = image_id(client, image)
    key = None
    if reuse.enabled():
        key = reuse.settings_key(local_image, command, _PASSWORD)
    remove_dead_runs(client, keep_reuse_key=key)
    if key is None:
        return _start(client, image, command, ready_timeout, reuse_key=None)
    with reuse.start_lock():
        if not reuse.claim(key):
            server = _start(client, image, command, ready_timeout, reuse_key=None)
            server.source += ", its own: the kept container is in use by another run"
            return server
        try:
            server = _find_reused(client, key) or _start(client, image, command, ready_timeout, key)
        except BaseException:
            reuse.release(key)
            raise
    server._stop = lambda: reuse.release(key)  # the container stays for the next run
    return server


def _stale(key: str) -> bool:
    """A kept container of this checkout with other settings, that no run is using."""
    return key.startswith(reuse.checkout_key()) and not reuse.in_use(key)


def remove_kept(client: Any, key_prefix: str = "") -> list[str]:
    """Removes kept containers whose key starts with `key_prefix` (a checkout's) and
    that no run is using."""
    removed = []
    for container in client.containers.list(all=True, filters={"label": LABEL_REUSE}):
        key = container.labels[LABEL_REUSE]
        with reuse.start_lock():
            if key.startswith(key_prefix) and not reuse.in_use(key):
                container.remove(force=True, v=True)
                removed.append(f"container {container.short_id}")
    return removed


def _labels(reuse_key: str | None) -> dict[str, str]:
    # Under Bazel the PID is a sandbox's, meaningless to other runs: the host label
    # says so, and harness code that judges runs by PID alone skips such containers.
    host = socket.gethostname() + ("/bazel" if os.environ.get("TEST_TMPDIR") else "")
    labels = {LABEL: uuid.uuid4().hex[:12], LABEL_HOST: host}
    if reuse_key is None:
        labels[LABEL_PID] = str(os.getpid())
        labels[LABEL_RUN] = liveness.this_run()
    else:
        labels[LABEL_REUSE] = reuse_key
    return labels


def _url(port: int) -> URL:
    return URL.create(
        "postgresql+asyncpg",
        username="talk",
        password=_PASSWORD,
        host="127.0.0.1",
        port=port,
        database="talk",
    )


def _find_reused(client: Any, key: str) -> PostgresServer | None:
    for container in client.containers.list(all=True, filters={"label": f"{LABEL_REUSE}={key}"}):
        bindings = container.ports.get("5432/tcp") or []
        if container.status != "running" or not bindings:
            container.remove(force=True, v=True)  # stopped with its engine: start anew
            continue
        tags = container.image.tags
        source = f"testcontainers ({tags[0] if tags else key}), {reuse.KEPT_KIND}"
        server = attach_running(_url(int(bindings[0]["HostPort"])), source, container.kill)
        if server is not None:
            return server
        container.remove(force=True, v=True)
    return None


def _start(
    client: Any, image: str, command: str, ready_timeout: float, reuse_key: str | None
) -> PostgresServer:
    from testcontainers.core.config import ConnectionMode, testcontainers_config
    from testcontainers.core.container import DockerContainer

    # This host looks like a container (/.dockerenv); make testcontainers use the
    # published port on the host instead of the bridge gateway.
    testcontainers_config.ryuk_disabled = True
    testcontainers_config.connection_mode_override = ConnectionMode.docker_host

    started = time.monotonic()
    container = (
        DockerContainer(image)
        .with_envs(POSTGRES_USER="talk", POSTGRES_PASSWORD=_PASSWORD, POSTGRES_DB="talk")
        .with_tmpfs_mount(_DATA)  # about twice as fast to start as overlay
        .with_command(command)
        .with_kwargs(labels=_labels(reuse_key))
    )
    # Publish on loopback only: nothing but this host may reach the test server.
    container.ports["5432/tcp"] = ("127.0.0.1", None)  # type: ignore[assignment]
    try:
        container.start()
        port = int(container.get_exposed_port(5432))
        url = _url(port)
        version = asyncio.run(
            wait_until_ready(url, timeout=ready_timeout, gone=lambda: _exited(container))
        )
    except BaseException:
        container.stop()  # removes it with its volumes
        raise
    reused = "" if reuse_key is None else f", {reuse.KEPT_KIND}"
    return PostgresServer(
        source=f"testcontainers ({image}){reused}",
        url=url,
        ready_seconds=time.monotonic() - started,
        version=version,
        _stop=container.stop if reuse_key is None else None,
        _kill=lambda: container.get_wrapped_container().kill(),
    )


def _exited(container: Any) -> str | None:
    wrapped = container.get_wrapped_container()
    wrapped.reload()
    if wrapped.status in ("created", "running"):
        return None
    tail = wrapped.logs(tail=5).decode(errors="replace").strip().replace("\n", " | ")
    return f"container {wrapped.short_id} is {wrapped.status}: {tail}"
