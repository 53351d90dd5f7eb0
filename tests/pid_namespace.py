"""Running a test's child process in a PID namespace of its own, as Bazel's sandbox or a
container would, while it shares this host's /dev/shm and /tmp.

Root needs nothing more. Any other user (a Bazel sandbox's `nobody`) first makes a user
namespace of its own (--user --map-current-user: allowed without privileges, and the
child keeps this uid; as root it would leave pgserver's own user unmapped).
--kill-child: when unshare is killed, everything in the namespace dies with it."""

from __future__ import annotations

import os
import subprocess

import pytest

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
