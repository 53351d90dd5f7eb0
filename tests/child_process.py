"""A test's child Python process, holding something for the test until killed; and
running a child in a PID namespace of its own, as Bazel's sandbox or a container would,
while it shares this host's /dev/shm and /tmp.

Root needs nothing more. Any other user (a Bazel sandbox's `nobody`) first makes a user
namespace of its own (--user --map-current-user: allowed without privileges, and the
child keeps this uid; as root it would leave pgserver's own user unmapped).
--kill-child: when unshare is killed, everything in the namespace dies with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).absolute().parents[1]

OWN_PID_NAMESPACE = (
    "unshare",
    *(() if os.geteuid() == 0 else ("--user", "--map-current-user")),
    *("--pid", "--fork", "--mount-proc", "--kill-child"),
)


def require_pid_namespace() -> None:
    """Skips, saying why, where this machine gives no new PID namespace."""
    try:
        probe = subprocess.run([*OWN_PID_NAMESPACE, "true"], capture_output=True, timeout=10)
    except FileNotFoundError:
        pytest.skip("no `unshare` here (util-linux): cannot make a PID namespace")
    if probe.returncode != 0:
        reason = probe.stderr.decode(errors="replace").strip()
        pytest.skip(f"this machine refuses a new PID namespace ({reason})")


def start_python(
    code: str, *args: str, prefix: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[str], str]:
    """Starts `python -c code args` (the project importable); returns it and the first
    line it prints (it prints once it holds what it was asked to). Its stdin stays
    open: a child that reads it lives until the test closes it or kills the child."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()
