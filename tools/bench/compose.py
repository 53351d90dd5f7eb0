"""`make integration` through Docker Compose, warm: run once so the images are built,
then timed with nothing changed."""

from __future__ import annotations

import subprocess
import time

from tools.bench.stats import Row
from tools.bench.suites import REPO

NAME = "compose: warm make integration"
# The Makefile's line when it takes the Compose path (it falls back to plain pytest when
# no engine answers or the PostgreSQL image is missing).
_COMPOSE_LINE = "running the suite through Docker Compose"


def _make_integration() -> tuple[float, str]:
    began = time.monotonic()
    proc = subprocess.run(
        ["make", "--no-print-directory", "integration"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    elapsed = time.monotonic() - began
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"make integration failed (exit {proc.returncode}): {out[-300:]}")
    return elapsed, out


def measure(runs: int) -> Row:
    try:
        subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError):
        return Row(NAME, [], "not measured: no Docker engine answers (`docker info` fails)")
    try:
        _, out = _make_integration()  # the warm-up: builds whatever is missing
        if _COMPOSE_LINE not in out:
            first = out.strip().splitlines()[0] if out.strip() else "(no output)"
            return Row(NAME, [], f"not measured: make integration did not use Compose: {first}")
        samples = [_make_integration()[0] for _ in range(runs)]
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return Row(NAME, [], str(exc)[:400])
    return Row(NAME, samples, "images built, nothing changed, after one warm-up run")
