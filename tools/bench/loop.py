"""The one-test loop as a developer runs it: one test file, `python -m pytest <file>`
from the repository root, in the project's own configuration (pyproject's pytest
settings, the root conftest and its plugins). Only tools.bench.probe is added.

The file is generated into a temporary package under tests/integration (removed
afterwards) with the typical bodies of generated.py: once on the harness, once on the
plain SQLAlchemy recipe (a conftest beside it provides its `env`). Start-up rows: cold
(no server of this checkout running: the run starts one and keeps it), with the data
directory copied from the cache, built into an empty cache, or without the cache; and
warm (the server the previous run kept), for the embedded server and a container. The
bench stops this checkout's kept servers before each cold run and at its end."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.harness.postgres import datadir_cache, reuse
from tests.harness.postgres.docker import DockerUnavailable, docker_client, image_id, image_name
from tools.bench import probe
from tools.bench.generated import RECIPE_HEADER, TYPICAL_TEST, harness_header
from tools.bench.suites import REPO, TIMEOUT, Run, SuiteResult, cause

PREFIX = "one test file, project config"
STARTUP = "start-up to first test, project config"
FLOOR = "floor (no database: pytest-asyncio, SQLAlchemy's asyncio, asyncpg; empty tests)"
# The floor: what any test of this project that talks to PostgreSQL through SQLAlchemy
# pays before its first body runs, with no database and no project code: pytest and
# the project's plugins, pytest-asyncio's session loop, SQLAlchemy's asyncio layer and
# asyncpg. A start-up target below it cannot be met by the harness.
_FLOOR_HEADER = (
    "import asyncpg  # noqa: F401\n"
    "import pytest\n"
    "import sqlalchemy.dialects.postgresql.asyncpg  # noqa: F401\n"
    "import sqlalchemy.ext.asyncio  # noqa: F401\n"
)
_FLOOR_TEST = """

@pytest.mark.asyncio(loop_scope="session")
async def test_{i}():
    pass
"""
_RECIPE_CONFTEST = (
    "from tools.bench.recipe_sqlalchemy import env, recipe_database_url, recipe_engine"
    "  # noqa: F401\n"
)


@dataclass(frozen=True)
class Leg:
    row: str
    file: Path
    env: dict[str, str]
    before: Callable[[], None] = lambda: None  # e.g. stop the kept server (a cold run)


@contextmanager
def files(tests: int) -> Iterator[tuple[Path, Path, Path]]:
    """(harness file, recipe file, floor file): the same bodies in the first two, each
    in a package of its own. The floor is outside tests/integration (no database)."""
    name = f"bench_loop_{uuid.uuid4().hex[:8]}"
    base, floor_base = REPO / "tests" / "integration" / name, REPO / "tests" / "unit" / name
    try:
        made = []
        for kind, header, conftest in (
            ("harness", harness_header(), None),
            ("recipe", RECIPE_HEADER, _RECIPE_CONFTEST),
        ):
            package = base / kind
            package.mkdir(parents=True)
            for init in (base / "__init__.py", package / "__init__.py"):
                init.touch()
            if conftest:
                (package / "conftest.py").write_text(conftest)
            path = package / "test_loop.py"
            path.write_text(header + "".join(TYPICAL_TEST.format(i=i) for i in range(tests)))
            made.append(path)
        floor_base.mkdir(parents=True)
        (floor_base / "__init__.py").touch()
        floor = floor_base / "test_floor.py"
        floor.write_text(_FLOOR_HEADER + "".join(_FLOOR_TEST.format(i=i) for i in range(tests)))
        yield made[0], made[1], floor
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(floor_base, ignore_errors=True)


def _env(extra: dict[str, str], output: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TALK_TEST_"))}
    env.pop("DATABASE__URL", None)
    env.update(PYTHONPATH=str(REPO), **{probe.OUTPUT: str(output), probe.FIXTURE: "env"})
    env.update(extra)
    return env


def run_once(leg: Leg, tests: int, scratch: Path) -> Run:
    output, log = scratch / "probe.json", scratch / "output.txt"
    output.unlink(missing_ok=True)
    args = [sys.executable, "-m", "pytest", "-q", "-p", "tools.bench.probe"]
    args += [str(leg.file.relative_to(REPO)), f"--basetemp={scratch / 'basetemp'}"]
    leg.before()
    with log.open("w") as sink:
        began = time.monotonic()
        proc = subprocess.Popen(
            args, cwd=REPO, env=_env(leg.env, output), stdout=sink, stderr=subprocess.STDOUT
        )
        timer = threading.Timer(TIMEOUT, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # CPU of pytest and what it reaped
        finally:
            timer.cancel()
        wall = time.monotonic() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    if proc.returncode != 0 or f"{tests} passed" not in text:
        raise RuntimeError(f"exit {proc.returncode}: {cause(text, scratch)}")
    seen = json.loads(output.read_text())
    ends = seen["teardown_ends"]
    per_test = (ends[-2] - ends[0]) / (len(ends) - 2) if len(ends) > 2 else None
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, seen["first_call"] - began, per_test, seen["setups"])


def docker_reason() -> str | None:
    try:
        image_id(docker_client(), image_name())
    except DockerUnavailable as exc:
        return str(exc)
    return None


def legs(harness: Path, recipe: Path, floor: Path, cache: Path) -> list[Leg]:
    """The bench's own data directory cache (`cache`, in its scratch directory): the
    developer's is neither used nor emptied. A cold run finds it filled (the usual case)
    unless the leg says otherwise."""
    cached = {datadir_cache.VARIABLE: "1", datadir_cache.DIR_VARIABLE: str(cache)}
    kept = {"TALK_TEST_POSTGRES": "embedded", "TALK_TEST_REUSE": "1", **cached}
    clean = {"TALK_TEST_POSTGRES": "embedded", "TALK_TEST_REUSE": "0"}
    clean_as_ci = {**clean, datadir_cache.VARIABLE: "0"}
    uncached = {**kept, datadir_cache.VARIABLE: "0"}
    stop = _stop_kept

    def stop_and_empty_cache() -> None:
        _stop_kept()
        shutil.rmtree(cache, ignore_errors=True)

    found = [
        Leg(f"{PREFIX}: harness (kept server, the default)", harness, kept),
        Leg(
            f"{PREFIX}: harness, clean run (TALK_TEST_REUSE=0, no cache: as CI)",
            harness,
            clean_as_ci,
        ),
        Leg(f"{PREFIX}: plain recipe", recipe, {}),
        Leg(
            f"{STARTUP}: cold (embedded, data directory from the cache)", harness, kept, before=stop
        ),
        Leg(f"{STARTUP}: warm (embedded, kept server)", harness, kept),
        Leg(f"{STARTUP}: {FLOOR}", floor, {}),
        Leg(
            f"{STARTUP}: cold (embedded, cache built: first run after a migration change)",
            harness,
            kept,
            before=stop_and_empty_cache,
        ),
        Leg(
            f"{STARTUP}: cold (embedded, TALK_TEST_PGDATA_CACHE=0)", harness, uncached, before=stop
        ),
    ]
    container = {"TALK_TEST_POSTGRES": "docker", "TALK_TEST_REUSE": "1"}
    found += [
        Leg(f"{STARTUP}: cold (container)", harness, container, before=stop),
        Leg(f"{STARTUP}: warm (container, kept)", harness, container),
    ]
    return found


def _stop_kept() -> None:
    reuse.stop_kept()


def measure(tests: int, repeat: int, scratch: Path) -> list[SuiteResult]:
    """Each leg `repeat` times, alternating; a warm leg runs right after its cold one."""
    no_docker = docker_reason()
    with files(tests) as (harness, recipe, floor):
        all_legs = legs(harness, recipe, floor, scratch / "pgdata-cache")
        results = [SuiteResult(leg.row) for leg in all_legs]
        try:
            # The kept-server leg is measured warm: a first run keeps the server.
            with contextlib.suppress(Exception):
                run_once(all_legs[0], tests, scratch)
            for round_ in range(repeat):
                for leg, result in zip(all_legs, results, strict=True):
                    if "container" in leg.row and no_docker:
                        result.note = f"skipped: {no_docker}"
                    if result.note:
                        continue
                    print(f"bench:   {leg.row} (run {round_ + 1}/{repeat})", file=sys.stderr)
                    try:
                        result.runs.append(run_once(leg, tests, scratch))
                    except Exception as exc:
                        result.note = f"failed: {exc}"
        finally:
            _stop_kept()
    return results
