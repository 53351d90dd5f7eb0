"""Runs Debian's wrk against a URL and reads requests/s, p50 and p99 from its report."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass
class WrkResult:
    requests_per_second: float
    p50: float  # seconds
    p99: float
    errors: str = ""  # wrk's socket errors and non-2xx counts, when any


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse(report: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", report)
    p50 = re.search(r"^\s+50%\s+(\S+)", report, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", report, re.M)
    if not (rps and p50 and p99):
        raise RuntimeError(f"could not read wrk's report:\n{report}")
    problems = [
        line.strip()
        for line in report.splitlines()
        if line.strip().startswith(("Socket errors", "Non-2xx"))
    ]
    return WrkResult(
        float(rps.group(1)), _seconds(p50.group(1)), _seconds(p99.group(1)), "; ".join(problems)
    )


def run(url: str, *, connections: int, seconds: int, headers: dict[str, str]) -> WrkResult:
    threads = min(connections, 2)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    return parse(done.stdout)
