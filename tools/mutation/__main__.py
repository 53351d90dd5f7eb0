"""make mutation / make mutation-fast: mutmut over talk_backend, one part at a time.

    python -m tools.mutation [PART ...] [--only GLOB ...] [--tests ARGS] [--check]
                             [--max-children N] [--keep]

Each part starts from an empty mutants/ (mutmut's copy of the project, where it runs
pytest) and removes it afterwards. Prints, per module, mutants, killed, survived,
equivalent and score = killed / (mutants - equivalent), then every survivor with
file:line and the change. --check (CI) fails when a survivor is not in
equivalents.toml, or an entry there matches no mutant any more."""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from talk_backend.devtools import liveness
from tools.mutation.parts import PARTS, Part, area_of, by_name
from tools.mutation.results import Equivalent, Mutant, load_equivalents, read

PROJECT = Path(__file__).resolve().parents[2]
EQUIVALENTS = Path(__file__).with_name("equivalents.toml")


def files_of(part: Part) -> list[str]:
    sources = sorted(str(p.relative_to(PROJECT)) for p in (PROJECT / "talk_backend").rglob("*.py"))
    return [s for s in sources if any(fnmatch.fnmatch(s, g) for g in part.mutate)]


def narrowed(part: Part, only: list[str]) -> Part:
    """The part, mutating only its files that match one of the globs: a module at a
    time costs one statistics pass but far fewer mutants."""
    files = tuple(f for f in files_of(part) if any(fnmatch.fnmatch(f, g) for g in only))
    if not files:
        raise SystemExit(f"--only {' '.join(only)}: no file of part {part.name} matches")
    return dataclasses.replace(part, mutate=files)


def run_part(
    part: Part, max_children: int, keep: bool, narrowed: bool = False
) -> tuple[list[Mutant], float]:
    mutants_dir = PROJECT / "mutants"
    shutil.rmtree(mutants_dir, ignore_errors=True)
    handle, name = tempfile.mkstemp(prefix=f"talk-mutation-{part.name}-", suffix=".log")
    os.close(handle)
    log = Path(name)
    # Embedded PostgreSQL, no Docker engine needed; one server for all the part's
    # pytest sessions (one per mutant), owned by this process, removed below.
    # pytest's tmp_path root of our own: other pytest runs of the same user prune the
    # shared /tmp/pytest-of-USER under the feet of ours.
    temp_root = Path(tempfile.mkdtemp(prefix=f"talk-mutation-{part.name}-"))
    env = {
        **os.environ,
        "TALK_TEST_POSTGRES": "embedded",
        # A run name, not a pid: the server lives while this process holds its lock.
        "TALK_TEST_RUN_OWNER": liveness.this_run(),
        "PYTEST_DEBUG_TEMPROOT": str(temp_root),
        "PYTHONPATH": str(PROJECT),
    }
    if narrowed:
        env["TALK_MUTATION_NARROWED"] = json.dumps({"mutate": part.mutate, "tests": part.tests})
    started = time.monotonic()
    try:
        with log.open("w") as out:
            code = subprocess.call(
                [sys.executable, "-m", "tools.mutation.worker", part.name, str(max_children)],
                cwd=PROJECT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        seconds = time.monotonic() - started
        if code != 0:
            print(log.read_text()[-4000:], file=sys.stderr)
            raise SystemExit(f"mutation: mutmut failed on part {part.name} (exit {code})")
        return read(PROJECT, files_of(part)), seconds
    finally:
        if not part.fast:  # the fast part never starts PostgreSQL
            from tests.harness.postgres.embedded import remove_run_server

            remove_run_server(liveness.this_run())
            if mutants_dir.is_dir():
                # The sessions in mutants/ may have kept a server for that checkout
                # (tests/harness/postgres/reuse.py keys it by path): stop it there.
                subprocess.call(
                    [sys.executable, "-m", "tests.harness.postgres.reuse", "stop"],
                    cwd=mutants_dir,
                    env={**env, "PYTHONPATH": str(mutants_dir)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
        log.unlink(missing_ok=True)
        shutil.rmtree(temp_root, ignore_errors=True)
        if not keep:
            shutil.rmtree(mutants_dir, ignore_errors=True)


def score(killed: int, counted: int) -> str:
    return f"{100 * killed / counted:5.1f}%" if counted else "    -"


def report(
    results: dict[str, tuple[list[Mutant], float]], equivalents: list[Equivalent]
) -> tuple[list[Mutant], list[Equivalent], list[Mutant]]:
    known = {e.key for e in equivalents}
    header = (
        f"{'module':<64} {'mutants':>7} {'killed':>6} {'survived':>8} {'equiv':>5} {'score':>6}"
    )
    print(header)
    print("-" * len(header))
    unlisted: list[Mutant] = []
    everything = [m for ms, _ in results.values() for m in ms]
    by_area: dict[str, dict[str, list[Mutant]]] = {}
    for m in everything:
        by_area.setdefault(area_of(m.key.path)[0], {}).setdefault(m.key.path, []).append(m)
    for area, by_file in by_area.items():
        total: Counter[str] = Counter()
        for path, ms in sorted(by_file.items()):
            n = len(ms)
            # A listed mutant that a test kills is not equivalent: it counts as killed,
            # and its entry is reported below as wrong.
            equiv = sum(m.key in known and m.status != "killed" for m in ms)
            killed = sum(m.status == "killed" for m in ms)
            survived = n - equiv - killed
            total.update(n=n, equiv=equiv, killed=killed, survived=survived)
            print(
                f"  {path:<62} {n:7} {killed:6} {survived:8} {equiv:5} {score(killed, n - equiv)}"
            )
            unlisted += [m for m in ms if m.status != "killed" and m.key not in known]
        counted = total["n"] - total["equiv"]
        target = area_of(next(iter(by_file)))[1]
        met = counted and 100 * total["killed"] / counted >= target
        print(
            f"{area:<64} {total['n']:7} {total['killed']:6} {total['survived']:8} "
            f"{total['equiv']:5} {score(total['killed'], counted)}  target {target:g}%"
            f"{'' if met else ' NOT MET'}"
        )
    print()
    for name, (_, seconds) in results.items():
        print(f"part {name}: {seconds:.0f} s")
    seen = {m.key for m in everything}
    ran = {m.key.path for m in everything}
    stale = [e for e in equivalents if e.key.path in ran and e.key not in seen]
    refuted = [m for m in everything if m.status == "killed" and m.key in known]
    return unlisted, stale, refuted


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.mutation", description=__doc__)
    parser.add_argument(
        "parts", nargs="*", help=f"default: all ({', '.join(p.name for p in PARTS)})"
    )
    parser.add_argument("--fast", action="store_true", help="the parts CI runs, with --check")
    parser.add_argument("--check", action="store_true", help="fail on unlisted survivors")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep", action="store_true", help="leave mutants/ for mutmut show/browse")
    parser.add_argument(
        "--only",
        action="append",
        metavar="GLOB",
        help="mutate only the part's files matching GLOB (repeatable; same tests)",
    )
    parser.add_argument(
        "--tests",
        metavar="ARGS",
        help="pytest arguments instead of the part's tests (a narrower selection gives a "
        "lower bound: a mutant no selected test reaches counts as survived)",
    )
    args = parser.parse_args()
    # A terminated run still removes mutants/, its log and its PostgreSQL (finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parts = [p for p in PARTS if p.fast] if args.fast else by_name(args.parts) or list(PARTS)
    check = args.check or args.fast
    if args.only:
        parts = [narrowed(p, args.only) for p in parts]
    if args.tests:
        parts = [dataclasses.replace(p, tests=tuple(shlex.split(args.tests))) for p in parts]
    if args.keep and len(parts) > 1:
        raise SystemExit("--keep needs exactly one part (each part starts from an empty mutants/)")

    equivalents = load_equivalents(EQUIVALENTS)
    results = {}
    for part in parts:
        tests = " ".join(part.tests)
        print(f"mutation: {part.name}: mutating {', '.join(part.mutate)}; tests {tests}")
        results[part.name] = run_part(
            part, args.max_children, args.keep, bool(args.only or args.tests)
        )
    print()
    unlisted, stale, refuted = report(results, equivalents)
    if unlisted:
        print("\nSurvivors (a test should notice these, or equivalents.toml says why none can):")
        for m in sorted(unlisted, key=lambda m: (m.key.path, m.line)):
            reach = " [no selected test reaches it]" if m.status == "no tests" else ""
            nth = f" #{m.key.occurrence}" if m.key.occurrence > 1 else ""
            print(f"  {m.key.path}:{m.line}  {m.key.function}{nth}{reach}")
            print(f"      - {m.key.before}\n      + {m.key.after}")
    for e in stale:
        print(
            f"\nequivalents.toml: no mutant matches {e.key.path}::{e.key.function} "
            f"{e.key.before!r} -> {e.key.after!r} (the code changed? remove or update it)"
        )
    for m in sorted(refuted, key=lambda m: (m.key.path, m.line)):
        print(
            f"\nequivalents.toml: a test kills {m.key.path}:{m.line} {m.key.function} "
            f"{m.key.before!r} -> {m.key.after!r}: it is not equivalent, remove the entry "
            "(or, if the kill is a flaky test's, make that test reliable)"
        )
    if check and (unlisted or stale or refuted):
        raise SystemExit(
            f"mutation: {len(unlisted)} survivor(s) not in equivalents.toml, "
            f"{len(stale)} stale entr{'y' if len(stale) == 1 else 'ies'}, "
            f"{len(refuted)} listed but killed"
        )


if __name__ == "__main__":
    main()
