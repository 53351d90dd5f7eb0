"""pytest plugin for the bench's child runs: when the first test body starts, how far
apart the tests end, how long one fixture takes to set up, how many SQL statements
the test bodies sent through SQLAlchemy (to show the suites' bodies do the same
work), and how many passed.

Loaded with `-p tools.bench.probe`; writes JSON to $TALK_BENCH_PROBE at the end of the
run. Times are time.monotonic(), which is one clock for every process on Linux, so the
parent can subtract the moment it launched the child."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

OUTPUT = "TALK_BENCH_PROBE"
FIXTURE = "TALK_BENCH_PROBE_FIXTURE"  # the fixture whose setup is timed per test

_seen: dict[str, Any] = {
    "first_call": None,
    "teardown_ends": [],
    "setups": [],
    "passed": 0,
    "statements": 0,
}
_in_body = False


def _count(*_: object) -> None:
    if _in_body:
        _seen["statements"] += 1


def _listen_if_used() -> None:
    # Only where the suite uses SQLAlchemy (it is imported by the first test's fixtures):
    # importing it here would add its import to the plain-pytest suite's start-up.
    if os.environ.get(OUTPUT) and "sqlalchemy" in sys.modules:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", _count)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    global _in_body
    if _seen["first_call"] is None:
        _seen["first_call"] = time.monotonic()
        _listen_if_used()
    _in_body = True
    try:
        yield
    finally:
        _in_body = False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    yield
    _seen["teardown_ends"].append(time.monotonic())


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Generator[None, None, None]:
    began = time.monotonic()
    yield
    if fixturedef.argname == os.environ.get(FIXTURE):
        _seen["setups"].append(time.monotonic() - began)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        _seen["passed"] += 1


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get(OUTPUT)
    if target:
        Path(target).write_text(json.dumps(_seen))
