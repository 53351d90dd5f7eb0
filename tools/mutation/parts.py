"""What each part mutates and which tests judge it.

mutmut runs, for every mutant, only the selected tests that called the mutated
function while it collected its statistics. A part's tests are the ones that check
its code; wider selections only cost time. The fast part (domain and application on
their unit tests, no database) is the one CI runs."""

from __future__ import annotations

from dataclasses import dataclass

NOT_SLOW = ["-m", "not slow"]


@dataclass(frozen=True)
class Part:
    name: str
    mutate: tuple[str, ...]  # globs of source files, relative to the project
    tests: tuple[str, ...]  # pytest arguments selecting the tests
    fast: bool = False


PARTS: tuple[Part, ...] = (
    # One mutmut run for both: one statistics pass, one clean run.
    Part(
        "core",
        ("talk_backend/domain/*", "talk_backend/application/*"),
        ("tests/unit/domain", "tests/unit/application", *NOT_SLOW),
        fast=True,
    ),
    Part(
        "persistence",
        ("talk_backend/infrastructure/persistence/*",),
        ("tests/integration", *NOT_SLOW),
    ),
    Part(
        "bluesky",
        ("talk_backend/infrastructure/bluesky/*",),
        # The e2e modules are the ones that sign in, refuse and revoke through the real
        # endpoints against the fake authorization server: without them sign-out's
        # revocation and the entryway's account check ran in no selected test.
        (
            "tests/unit/infrastructure/bluesky",
            "tests/unit/test_oauth_settings.py",
            "tests/contract",
            "tests/integration/infrastructure/bluesky",
            "tests/e2e/test_sign_in.py",
            "tests/e2e/test_bluesky_grant.py",
            "tests/e2e/test_revocation.py",
            "tests/e2e/test_authorization_refused.py",
            *NOT_SLOW,
        ),
    ),
    Part(
        "http",
        ("talk_backend/entrypoints/http/*",),
        # test_debug_setting: the 500 answer and its log line, on the app itself. Left
        # out: test_serve_lifecycle runs the server in child processes, where mutmut
        # sees nothing; test_database_round_trips checks persistence through a dev
        # PostgreSQL of its own (minutes of statistics, no HTTP rule of its own).
        (
            "tests/unit/entrypoints",
            "tests/unit/test_debug_setting.py",
            "tests/e2e",
            "--ignore=tests/e2e/test_serve_lifecycle.py",
            "--ignore=tests/e2e/test_database_round_trips.py",
            *NOT_SLOW,
        ),
    ),
)

# The table's subtotals and the targets (score without listed equivalents).
AREAS: tuple[tuple[str, str, float], ...] = (
    ("domain", "talk_backend/domain/", 97.0),
    ("application", "talk_backend/application/", 97.0),
    ("persistence", "talk_backend/infrastructure/persistence/", 97.0),
    ("bluesky", "talk_backend/infrastructure/bluesky/", 85.0),
    ("http", "talk_backend/entrypoints/http/", 90.0),
)


def area_of(path: str) -> tuple[str, float]:
    for name, prefix, target in AREAS:
        if path.startswith(prefix):
            return name, target
    return "other", 0.0


def by_name(names: list[str]) -> list[Part]:
    known = {part.name: part for part in PARTS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown part(s) {', '.join(unknown)}; parts: {', '.join(known)}")
    return [known[name] for name in names]
