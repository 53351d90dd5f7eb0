"""A PostgreSQL kept outside Bazel's sandboxes, for tools and for tests that share it.

    test_server.py start DIR [--driver NAME]   start (or find) it; print its URL
    test_server.py stop DIR                    stop it and delete DIR

DIR holds the data directory (DIR/data, whose Unix socket is the server's only
listener) and DIR/url, the URL in the app's spelling (postgresql+asyncpg). `start`
leaves the server running: it is started detached, so it outlives this process,
`bazel run` and any test. Users: `bazel run //tools/bazel:test_server` before
`bazel test --config=reuse` (docs/bazel.md), the offline run's db_connect check and
its kept server, and BuildGrid's scheduler database (tools/bazel/remote/run.sh,
`--driver psycopg2`).

Tests reach the socket from inside their sandbox, where they run as another user
(user namespace, --sandbox_fake_username): PostgreSQL makes its data directory 0700
for the account it runs as (`pgserver` when started by root), so once the server
is up the directory gets the search bit for others (0711). The socket is then
reachable, the files stay unreadable; PostgreSQL checks the mode only at start."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

# Default place of the server `bazel test --config=reuse` shares (.bazelrc): tmpfs,
# which every Linux sandbox mounts writable (a sandbox's /tmp is its own since
# Bazel 7), and short enough for a socket path (at most 107 bytes).
DEFAULT_DIR = Path("/dev/shm/talk-bazel-pg")
DRIVERS = ("asyncpg", "psycopg2", "none")


def _pgdata(root: Path) -> Path:
    return root / "data"


def url(socket_dir: Path, driver: str) -> str:
    scheme = "postgresql" if driver == "none" else f"postgresql+{driver}"
    return f"{scheme}://postgres@/postgres?host={quote(str(socket_dir))}"


def _postmaster(root: Path) -> tuple[int, Path] | None:
    """(pid, socket directory) of the server running in root, from postmaster.pid, when
    /proc shows that pid to be a postgres on that very directory (a bare pid may name
    another process, or one in another PID namespace)."""
    from talk_backend.devtools.embedded_leftovers import postmaster_of

    try:
        lines = (_pgdata(root) / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    pid = postmaster_of(_pgdata(root))
    if pid is None or len(lines) < 5:
        return None
    return pid, Path(lines[4])


def start(root: Path, driver: str) -> str:
    from talk_backend.devtools.embedded_server import get_server

    running = _postmaster(root)
    if running is None:
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        _pgdata(root).mkdir(exist_ok=True)
        server = get_server(_pgdata(root), cleanup_mode=None)
        socket_dir = Path(server.get_postmaster_info().socket_dir)
    else:
        socket_dir = running[1]
    _pgdata(root).chmod(0o711)
    (root / "url").write_text(url(socket_dir, "asyncpg") + "\n")
    return url(socket_dir, driver)


def stop(root: Path, timeout: float = 10.0) -> None:
    """Stops the server (its processes and shared memory, as the harness's leftover
    sweep does), then DIR goes."""
    from talk_backend.devtools.embedded_leftovers import stop_postmaster

    stop_postmaster(_pgdata(root), timeout)
    shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("start", "stop"))
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--driver", choices=DRIVERS, default="asyncpg")
    args = parser.parse_args(argv)
    root = args.dir.absolute()
    if args.command == "start":
        print(start(root, args.driver))
    else:
        stop(root)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
