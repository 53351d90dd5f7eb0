"""Reads the integration tests' logs after a remote run: where did each one run?

For every test.log (one per shard) under TESTLOGS/tests/integration it finds
- the worker's action directory, from pytest's `rootdir:` line;
- the PostgreSQL the harness provisioned, from the DEBUG log in outputs.zip:
  pgserver's `initdb -D DATA` command, i.e. which binaries ran and where the data
  directory was.
Both must lie inside one action directory of one worker under RUN (the directory
run.sh made for the workers). Prints one line per log, then the workers the
sharded target's shards ran on (`--shards TARGET_DIR`). Exit 1 on any violation.

Usage: check_logs.py RUN TESTLOGS [--shards DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from pathlib import Path

ROOTDIR = re.compile(r"^rootdir: (\S+)", re.MULTILINE)
# The embedded server logs initdb's argument list; -D may come anywhere in it.
INITDB = re.compile(r"'(\S+/bin/initdb)'[^)\]]*?'-D', '([^']+)'")


def action_dir(run: Path, path: str) -> tuple[str, str] | None:
    """(worker, action directory) when `path` is inside RUN/wN/aM, else None."""
    match = re.match(re.escape(str(run)) + r"/(w\d+)/(a\d+)(/|$)", path)
    return (match[1], f"{match[1]}/{match[2]}") if match else None


def postgres_of(log: Path) -> tuple[str, str] | None:
    outputs = log.parent / "test.outputs" / "outputs.zip"
    if not outputs.exists():
        return None
    with zipfile.ZipFile(outputs) as archive:
        if "pytest.log" not in archive.namelist():
            return None
        match = INITDB.search(archive.read("pytest.log").decode(errors="replace"))
    return (match[1], match[2]) if match else None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path)
    parser.add_argument("testlogs", type=Path)
    parser.add_argument("--shards", type=Path)
    args = parser.parse_args(argv)
    logs = sorted((args.testlogs / "tests" / "integration").rglob("test.log"))
    if not logs:
        print(f"no test logs under {args.testlogs}/tests/integration", file=sys.stderr)
        return 1
    failures = 0
    for log in logs:
        name = str(log.parent.relative_to(args.testlogs))
        rootdir = ROOTDIR.search(log.read_text(errors="replace"))
        place = action_dir(args.run, rootdir[1]) if rootdir else None
        postgres = postgres_of(log)
        binaries = action_dir(args.run, postgres[0]) if postgres else None
        data = action_dir(args.run, postgres[1]) if postgres else None
        if place is None:
            problem = "did not run on a worker"
        elif postgres is None:
            problem = "no PostgreSQL start in its DEBUG log (outputs.zip)"
        elif binaries != place or data != place:
            problem = f"PostgreSQL outside its action directory: {postgres[1]}"
        else:
            problem = ""
        where = place[1] if place else "-"
        data_dir = postgres[1] if postgres else "-"
        print(f"  {where:<7} {name}\n          PostgreSQL data: {data_dir}")
        if problem:
            print(f"  FAILED: {name}: {problem}", file=sys.stderr)
            failures += 1
    if args.shards is not None:
        workers = set()
        for log in sorted(args.shards.glob("shard_*/test.log")):
            rootdir = ROOTDIR.search(log.read_text(errors="replace"))
            place = action_dir(args.run, rootdir[1]) if rootdir else None
            workers.add(place[0] if place else "-")
        print(f"shard workers: {' '.join(sorted(workers))}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
