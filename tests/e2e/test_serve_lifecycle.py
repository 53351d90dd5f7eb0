"""`talk-backend serve` as a person runs it: a taken port, SIGTERM/SIGINT at any moment
of start-up or serving, a kill -9 and the next start, a restart on the same database.

Each case starts a real `serve` process with an embedded PostgreSQL (about 2-4 s each;
the module takes about 40-70 s on this shared 2-core machine)."""

from __future__ import annotations

import signal
import socket
import time

import pytest

from tests.e2e.serve_process import EmbeddedDatabase, Serve, read_postmaster, stop_quietly
from tests.harness import create_env_fixture

database_env = create_env_fixture(unmock={"persistence"}, isolation="database")


def test_a_taken_port_is_one_line_and_exit_2_before_any_database():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        serve = Serve.start("--dev-bluesky", "--port", str(port))
        try:
            code = serve.finish(timeout=20)
        finally:
            serve.kill()
    assert code == 2, serve.output()
    lines = [line for line in serve.lines if line.strip()]
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0], serve.output()
    assert "PostgreSQL" not in serve.output()
    assert time.monotonic() - started < 5  # no database was started first


# Where in start-up the signal lands: the output line that precedes it, and a delay.
# Until cli.main installs its handlers (the interpreter's own start-up) the default
# action applies; the first moment is right after that, before the slow imports.
MOMENTS = [
    ("during the imports", "handlers", 0.0),
    ("while PostgreSQL starts", "database-created", 0.0),
    ("right after migrating", "PostgreSQL: embedded", 0.0),
    ("while the fake Bluesky and seeding run", "PostgreSQL: embedded", 0.3),
    ("while serving", "Application startup complete", 0.0),
]


# SIGINT takes the same path as SIGTERM (one handler); one moment shows it.
CASES = [(signal.SIGTERM, *moment) for moment in MOMENTS[1:]] + [(signal.SIGINT, *MOMENTS[0])]


@pytest.mark.parametrize(
    ("signum", "moment", "after", "delay"),
    CASES,
    ids=[f"{case[0].name}-{case[1]}" for case in CASES],
)
def test_a_signal_at_any_moment_stops_cleanly(signum, moment, after, delay, tmp_path):
    # A runtime directory of its own: what the embedded PostgreSQL package keeps there
    # (the embedded server's lock file) must be gone after the run too.
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)  # platformdirs ignores a runtime dir others can read
    serve = Serve.start("--dev-bluesky", "--port", "0", XDG_RUNTIME_DIR=str(runtime))
    db: EmbeddedDatabase | None = None
    try:
        if after == "handlers":
            serve.wait_for_handlers()
        elif after == "database-created":
            db = serve.database()
        elif after is not None:
            serve.wait_for(after)
            db = serve.database()
        time.sleep(delay)
        serve.signal(signum)
        sent = time.monotonic()
        code = serve.finish(timeout=10)
        took = time.monotonic() - sent
    finally:
        stop_quietly(serve)
    print(f"{signum.name} {moment}: exit {code} {took:.1f} s after the signal")
    assert code == 0, serve.output()
    assert took < 10
    assert "Traceback" not in serve.output(), serve.output()
    if db is not None:
        assert db.leftovers() == [], serve.output()
    assert list(runtime.iterdir()) == []


def test_the_run_after_a_kill_9_removes_what_it_left():
    killed = Serve.start("--port", "0")
    try:
        killed.wait_for("Application startup complete")
        db = killed.database()
        assert db is not None
        read_postmaster(db)
    finally:
        killed.kill()  # SIGKILL: nothing of serve's own cleanup runs
    assert db.leftovers() != []  # PostgreSQL outlived it, as the issue saw

    after = Serve.start("--port", "0")
    try:
        removed = after.wait_for("removed what a killed run left")
        after.wait_for("Application startup complete")
        after.signal(signal.SIGTERM)
        assert after.finish() == 0
    finally:
        stop_quietly(after)
    assert str(db.data_dir) in removed
    assert db.leftovers() == []


async def test_dev_bluesky_restarts_on_the_same_database(database_env):
    url = database_env.database_url
    for run in (1, 2):
        serve = Serve.start("--dev-bluesky", "--port", "0", DATABASE__URL=url)
        try:
            serve.wait_for("talk-backend (dev Bluesky)")
            serve.signal(signal.SIGTERM)
            assert serve.finish() == 0, f"run {run}:\n{serve.output()}"
        finally:
            stop_quietly(serve)
    counts = await database_env.row_counts()
    assert (counts["users"], counts["invites"]) == (1, 1)
