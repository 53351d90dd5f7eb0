"""`python -m tools.bench [--repeat N] [--tests N] [--quick]`: prints the table
docs/performance.md records."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import warnings
from collections.abc import Callable

from tools.bench import compose, generated, isolation, loop, provisioning, suites
from tools.bench.stats import Row, ms, suite_table, table
from tools.bench.suites import SuiteResult

STARTUP_ROW = "start-up to first test, harness"


def _by_prefix(results: list[SuiteResult], prefix: str) -> SuiteResult | None:
    return next((r for r in results if r.name.startswith(prefix) and r.runs), None)


def _ratios(rows: list[Row], results: list[SuiteResult]) -> list[str]:
    out = []
    by = {r.name.split(" (")[0]: r for r in rows if r.samples}
    harness = _by_prefix(results, "suite: ") if results else None
    recipe = next((r for r in results if "plain SQLAlchemy" in r.name and r.runs), None)
    if harness and recipe and "harness" in harness.name:
        wall = (harness.median("wall") or 0) / (recipe.median("wall") or 1)
        per = (harness.median("per_test") or 0) / (recipe.median("per_test") or 1)
        out.append(f"harness / recipe: wall {wall:.2f}x, per test {per:.2f}x (target <= 1.0)")
    empty = _by_prefix(results, "overhead: ")
    plain = next((r for r in results if r.name.endswith("plain pytest") and r.runs), None)
    plain_async = next((r for r in results if r.name.endswith("pytest-asyncio") and r.runs), None)
    if empty and plain:
        extra = ((empty.median("per_test") or 0) - (plain.median("per_test") or 0)) * 1000
        out.append(
            f"empty-test overhead: {extra:.2f} ms per test above plain pytest (target <= 0.5)"
        )
    if empty and plain_async:
        extra = ((empty.median("per_test") or 0) - (plain_async.median("per_test") or 0)) * 1000
        asyncio_cost = (
            ((plain_async.median("per_test") or 0) - (plain.median("per_test") or 0)) * 1000
            if plain
            else None
        )
        out.append(
            f"empty-test overhead: {extra:.2f} ms per test above plain pytest-asyncio (the "
            "harness's own)"
            + (f"; pytest-asyncio's: {asyncio_cost:.2f} ms" if asyncio_cost is not None else "")
        )
    if STARTUP_ROW in by:
        out.append(f"start-up to first test: {ms(by[STARTUP_ROW].median)} (target <= 1.0 s)")
    if compose.NAME in by:
        out.append(f"warm compose make integration: {ms(by[compose.NAME].median)} (target <= 12 s)")
    handout = next(
        (r for r in rows if r.name.startswith('isolation="database"') and r.samples), None
    )
    if handout:
        out.append(f'isolation="database" hand-out p50: {ms(handout.median)} (target <= 5 ms)')
    xdist = _by_prefix(results, "xdist: ")
    if harness and xdist:
        ratio = (harness.median("wall") or 0) / (xdist.median("wall") or 1)
        out.append(f"-n 2 vs serial (harness suite): {ratio:.2f}x (target >= 1.0: not slower)")
    base, tuned = by.get("cold: PostgresContainer defaults"), by.get("cold: tuned container")
    if base and tuned:
        out.append(
            f"tuned container vs baseline: {base.median / tuned.median:.2f}x (target >= 1.3x)"
        )
    return out


def _loop_ratios(loops: list[SuiteResult]) -> list[str]:
    by = {r.name: r for r in loops if r.runs}
    out = []
    recipe = by.get(f"{loop.PREFIX}: plain recipe")
    for name, result in by.items():
        if name.startswith(loop.PREFIX) and recipe is not None and result is not recipe:
            wall = (result.median("wall") or 0) / (recipe.median("wall") or 1)
            cpu = (result.median("cpu") or 0) / (recipe.median("cpu") or 1)
            what = name.removeprefix(f"{loop.PREFIX}: ")
            out.append(
                f"one test file, {what} / plain recipe: wall {wall:.2f}x, CPU {cpu:.2f}x "
                "(target <= 1.2)"
            )
    floor = by.get(f"{loop.STARTUP}: {loop.FLOOR}")
    for name, result in by.items():
        if name.startswith(loop.STARTUP) and result is not floor:
            target = "1.0 s" if ": cold" in name else "0.6 s"
            startup = result.median("startup") or 0
            above = ""
            if floor is not None:
                above = f"; {ms(startup - (floor.median('startup') or 0))} above the floor"
            out.append(f"{name}: {ms(startup)} (target <= {target}{above})")
    if floor is not None:
        out.append(
            f"{floor.name}: {ms(floor.median('startup') or 0)} (what no harness can go below)"
        )
    return out


def _guarded(label: str, phase: Callable[[], list[Row]]) -> list[Row]:
    """A phase that breaks (an API it uses changed, a server that would not start) is
    reported as a row; the others still run."""
    try:
        return phase()
    except Exception as exc:
        return [Row(f"{label}: not measured", [], f"failed: {type(exc).__name__}: {exc}"[:400])]


def _startup(results: list[SuiteResult]) -> Row:
    empty = _by_prefix(results, "overhead: ")
    samples = [r.startup for r in empty.runs if r.startup is not None] if empty else []
    return Row(
        STARTUP_ROW, samples, "cold run: server started, migrated; from the empty harness suite"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each suite (median)")
    parser.add_argument("--tests", type=int, default=200, help="tests per generated suite")
    parser.add_argument("--per-test", type=int, default=200, help="isolation repetitions")
    parser.add_argument(
        "--file-tests", type=int, default=20, help="tests in the one-test-loop file"
    )
    parser.add_argument("--compose-runs", type=int, default=1, help="timed warm compose runs")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short smoke run (20 tests, 1 run, no compose); its figures mean little",
    )
    parser.add_argument(
        "--loop",
        action="store_true",
        help="only the one-test loop's rows and the empty-test overhead (a few minutes: "
        "what a harness change moves)",
    )
    args = parser.parse_args()
    # Cold rows start servers of their own; the rows of kept servers say so themselves.
    os.environ["TALK_TEST_REUSE"] = "0"
    if args.quick:
        args.repeat, args.tests, args.per_test, args.file_tests = 1, 20, 20, 5
    # pgserver's platformdirs warns about XDG_RUNTIME_DIR on every start; noise here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    rows: list[Row] = []
    results: list[SuiteResult] = []
    loops: list[SuiteResult] = []

    def run_suites() -> list[Row]:
        tests = args.tests
        alternating = [
            *generated.typical_suites(tests),
            *generated.overhead_suites(tests),
            generated.xdist_suite(tests),
        ]
        if args.loop:
            alternating = generated.overhead_suites(tests)
        results.extend(suites.alternate(alternating, tests, args.repeat))
        return [_startup(results)]

    def run_loop() -> list[Row]:
        with suites.workspace() as scratch:
            loops.extend(loop.measure(args.file_tests, args.repeat, scratch))
        return []

    def run_compose() -> list[Row]:
        if args.quick:
            return [Row(compose.NAME, [], "not measured: --quick")]
        return [compose.measure(args.compose_runs)]

    phases: list[tuple[str, Callable[[], list[Row]]]] = [
        ("provisioning", lambda: provisioning.measure(1 if args.quick else args.repeat + 2)),
        ("isolation", lambda: isolation.measure(args.per_test)),
        ("hand-out", lambda: [isolation.handout(max(10, args.tests // 4))]),
        ("suites", run_suites),
        ("the one-test loop, project config", run_loop),
        ("compose", run_compose),
    ]
    if args.loop:
        phases = [phase for phase in phases if phase[1] in (run_suites, run_loop)]
    for label, phase in phases:
        print(f"bench: measuring {label} ...", file=sys.stderr, flush=True)
        rows += _guarded(label, phase)
    print(
        f"talk-backend bench, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
        + (", PYTHONDONTWRITEBYTECODE set" if sys.dont_write_bytecode else "")
    )
    print(table(rows))
    print()
    print(suite_table(results, args.tests))
    print()
    print(suite_table(loops, args.file_tests))
    print()
    print("targets: rollback <= 2 ms; fresh database <= 30 ms median")
    for line in _ratios(rows, results) + _loop_ratios(loops):
        print(line)
    # A broken measurement fails the command (CI runs --quick to catch that); figures never do.
    failed = [r.name for r in rows if r.note.startswith("failed")]
    failed += [r.name for r in results + loops if r.note.startswith("failed")]
    if failed:
        sys.exit(f"bench: not measured, see the notes: {'; '.join(failed)}")


if __name__ == "__main__":
    main()
