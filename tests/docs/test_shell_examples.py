"""The README's shell commands for signing in locally work as written: `serve` starts,
the page it points a browser at is there, any curl line works, and SIGTERM stops it.

Two substitutions only: a free port instead of 8765 (parallel runs), and the bin
directory of the interpreter running the tests instead of `.venv/bin/` (CI also runs
the suite from a Python 3.13 venv). `make integration` and `make test` are run by
.ci/run itself, on this host and in a clean Debian container (scripts/newcomer-matrix.sh)."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.docs.examples import REPO, blocks, section

DEV_USER_DID = "did:plc:devuser2devuser2devuser2"


def _commands(code: str) -> list[str]:
    """Lines of a shell block, continuation lines joined, comments dropped."""
    joined = code.replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in joined.splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_readme_sign_in_commands_work_as_written(tmp_path: Path):
    if os.environ.get("TEST_SRCDIR"):
        pytest.skip("under Bazel there is no .venv/bin/talk-backend, which the README runs")
    text = section(REPO / "README.md", "Sign in locally")
    commands = [
        command
        for block in blocks("sh")
        if block.path.name == "README.md" and block.code in text
        for command in _commands(block.code)
    ]
    serve = [c for c in commands if " serve " in c]
    curls = [c for c in commands if c.startswith("curl ")]
    assert len(serve) == 1, commands
    if curls and shutil.which("curl") is None:
        pytest.skip("curl is not installed: the README's sign-in commands use it")
    port = _free_port()
    bindir = str(Path(sys.executable).parent)

    def as_run(command: str) -> str:
        return command.replace("8765", str(port)).replace(".venv/bin/", f"{bindir}/")

    env = {k: v for k, v in os.environ.items() if k != "DATABASE__URL"}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            shlex.split(as_run(serve[0])), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "serve never answered:\n" + log.read_text()
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert "Sign in with Bluesky" in page.read().decode()
        results = [
            subprocess.run(
                ["bash", "-c", as_run(c)], cwd=tmp_path, capture_output=True, text=True, timeout=60
            )
            for c in curls
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    for command, result in zip(curls, results, strict=True):
        assert result.returncode == 0, result.stderr
        if command.endswith("/me"):  # the invited dev user is signed in
            assert f'"did":"{DEV_USER_DID}"' in result.stdout, result.stdout
        elif "stranger" in command:  # any other *.dev.test handle has no invite
            assert "no valid invite" in result.stdout, result.stdout
    assert code == 0, log.read_text()
    # serve says where its embedded database's data went (tmpfs or disk, and why).
    assert "PostgreSQL: embedded PostgreSQL data on " in log.read_text()
