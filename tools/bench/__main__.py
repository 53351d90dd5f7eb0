"""`python -m tools.bench [--repeat N]`: prints the table docs/performance.md records."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import warnings
from collections.abc import Callable

from tools.bench import isolation, provisioning, suite
from tools.bench.stats import Row, table


def _ratios(rows: list[Row]) -> list[str]:
    by = {r.name.split(" (")[0]: r for r in rows if r.samples}
    out = []
    base = by.get("cold: PostgresContainer defaults")
    tuned = by.get("cold: tuned container")
    if base and tuned:
        out.append(
            f"tuned container vs baseline: {base.median / tuned.median:.2f}x (target >= 1.3x)"
        )
    one = next((r for r in rows if "1 worker" in r.name and r.samples), None)
    two = next((r for r in rows if "2 worker" in r.name and r.samples), None)
    if one and two:
        out.append(f"2 workers vs 1: {one.median / two.median:.2f}x (target >= 1.5x)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="cold starts and suite runs")
    parser.add_argument("--per-test", type=int, default=200, help="isolation repetitions")
    args = parser.parse_args()
    # pgserver's platformdirs warns about XDG_RUNTIME_DIR on every start; noise here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    rows: list[Row] = []
    phases: list[tuple[str, Callable[[], list[Row]]]] = [
        ("provisioning", lambda: provisioning.measure(args.repeat)),
        ("isolation", lambda: isolation.measure(args.per_test)),
        ("suite", lambda: suite.measure(max(2, args.repeat // 2 + 1))),
    ]
    for label, phase in phases:
        print(f"bench: measuring {label} ...", file=sys.stderr, flush=True)
        rows += phase()
    print(
        f"talk-backend bench, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(table(rows))
    print(
        "targets: rollback <= 2 ms; fresh database <= 30 ms median; warm reuse first test <= 0.5 s"
    )
    for line in _ratios(rows):
        print(line)


if __name__ == "__main__":
    main()
