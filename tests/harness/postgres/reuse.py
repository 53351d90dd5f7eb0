"""A server kept between runs: the default of a developer's run (the one-test loop).

The first run of a checkout starts a server and leaves it running; the next run finds
it (its template is already migrated) and only clones its session database. Kept:
- per checkout and settings: the key hashes this checkout's path with the PostgreSQL
  version and server settings, so two checkouts never share one; the migrations are
  in the template's name (templates.migrations_hash), so a changed migration builds
  a new template on the same server;
- for one run at a time: a run claims the kept server by holding its owner file
  (talk_backend/devtools/liveness.py), a lock the kernel drops however the run ends.
  A second concurrent run does not wait: it starts a throwaway server of its own,
  as CI does, and says so;
- until `make test-servers-stop` (python -m tests.harness.postgres.reuse stop); the
  cache of migrated data directories (datadir_cache.py) stays: `make test-cache-clear`.

Not kept (a throwaway server per run, removed at its end): with CI set (CI keeps its
clean runs), under Bazel (TEST_TMPDIR; its own kept server is --config=reuse), in
xdist workers (they share their controller's server), or with TALK_TEST_REUSE=0.
TALK_TEST_REUSE=1 keeps it on CI too."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from talk_backend.devtools import liveness

VARIABLE = "TALK_TEST_REUSE"
CHECKOUT = Path(__file__).resolve().parents[3]
# flock on the temp directory itself: a lock file would be one more thing left behind,
# and deleting a lock file while another process holds it would break the lock.
# A fixed path, not TMPDIR: Bazel gives every test its own TMPDIR, and shards must share it.
LOCK_PATH = Path("/tmp")
CLAIM_PREFIX = "talk-kept-"
KEPT_KIND = "kept between runs (`make test-servers-stop` stops it)"
_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")


def enabled() -> bool:
    chosen = switch(VARIABLE, os.environ.get("TALK_TEST_REUSE", ""))
    if chosen is not None:
        return chosen
    return not (on_ci() or os.environ.get("TEST_TMPDIR") or os.environ.get("PYTEST_XDIST_WORKER"))


def switch(variable: str, raw: str) -> bool | None:
    """A 1/0 variable's value (`raw`, read by the caller under its literal name, which
    tests/docs/test_documented_variables.py looks for); None when unset."""
    raw = raw.strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    if raw:
        raise ValueError(f"{variable} must be 1 or 0, not {raw!r}")
    return None


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", *_FALSE)


def checkout_key() -> str:
    """This checkout's path. Under Bazel (TEST_TMPDIR) the runfiles resolve to the same
    checkout, yet a sandboxed test cannot read the server a plain run keeps (another
    user's files, seen from its user namespace), nor the other way round: the key says
    which of the two it is, so they never share one."""
    where = f"{CHECKOUT}\0bazel" if os.environ.get("TEST_TMPDIR") else str(CHECKOUT)
    return hashlib.sha256(where.encode()).hexdigest()[:8]


def settings_key(*parts: str) -> str:
    """The kept server's key: this checkout, then the server's settings."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]
    return f"{checkout_key()}{digest}"


def _claim_file(key: str) -> Path:
    return liveness.runs_dir() / f"{CLAIM_PREFIX}{key}"


def claim(key: str) -> bool:
    """Takes the kept server `key` for this run; False when another live run has it.
    Call under start_lock: the check and the hold must be one step."""
    marker = _claim_file(key)
    if liveness.held(marker):
        return False
    liveness.sweep_if_dead(marker, lambda: None)  # a run that died using it
    liveness.hold(marker)
    return True


def release(key: str) -> None:
    liveness.release(_claim_file(key))


def claimed_here() -> list[Path]:
    """The claim files this process holds (the kept servers it is using)."""
    return [p for p in liveness.held_here() if p.name.startswith(CLAIM_PREFIX)]


def in_use(key: str) -> bool:
    return liveness.held(_claim_file(key))


@contextlib.contextmanager
def start_lock(timeout: float = 60.0) -> Iterator[None]:
    """Serialises find-or-start across processes, so parallel workers share one server."""
    handle = os.open(LOCK_PATH, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{LOCK_PATH} held for more than {timeout:.0f} s") from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def stop_kept(*, every_checkout: bool = False) -> list[str]:
    """Stops the kept servers (embedded and containers) of this checkout, or of every
    checkout; one a run is using stays. Returns what was stopped."""
    from tests.harness.postgres import docker, embedded

    prefix = "" if every_checkout else checkout_key()
    stopped = embedded.remove_kept(prefix)
    with contextlib.suppress(docker.DockerUnavailable):
        stopped += docker.remove_kept(docker.docker_client(), prefix)
    return stopped


USAGE = "usage: python -m tests.harness.postgres.reuse stop [--all] | clear-cache"


def main(argv: list[str]) -> int:
    if argv == ["clear-cache"]:
        # Apart from stop: the cache is shared by every checkout of this user, and a
        # stop in one checkout should not make the others' next cold run rebuild it.
        from tests.harness.postgres import datadir_cache

        removed = datadir_cache.remove_all()
        for entry in removed:
            print(f"removed the cached data directory {entry}")
        if not removed:
            print("no cached data directory to remove")
        return 0
    if argv[:1] != ["stop"] or argv[1:] not in ([], ["--all"]):
        print(USAGE, file=sys.stderr)
        return 2
    stopped = stop_kept(every_checkout=argv[1:] == ["--all"])
    for line in stopped:
        print(f"stopped the kept test server {line}")
    if not stopped:
        print("no kept test server to stop")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
