"""Medians and p95 of repeated measurements, and the table `make bench` prints."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.bench.suites import SuiteResult


@dataclass
class Row:
    name: str
    samples: list[float]  # seconds
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def table(rows: list[Row]) -> str:
    lines = ["| measurement | n | median | p95 | note |", "|---|---|---|---|---|"]
    for row in rows:
        if row.samples:
            figures = f"{len(row.samples)} | {ms(row.median)} | {ms(row.p95)}"
            lines.append(f"| {row.name} | {figures} | {row.note} |")
        else:
            lines.append(f"| {row.name} | 0 | - | - | {row.note} |")
    return "\n".join(lines)


def suite_table(results: list[SuiteResult], tests: int) -> str:
    """Medians over the runs of each suite: wall, CPU, ms per test, start-up."""
    lines = [
        "| suite | runs | wall | CPU (pytest process) | ms per test | start-up to first test "
        "| SQL per test body |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        if not result.runs:
            lines.append(f"| {result.name} | 0 | - | - | - | {result.note} | - |")
            continue
        per_test = result.median("per_test")
        startup = result.median("startup")
        statements = result.median("statements_per_test")
        lines.append(
            f"| {result.name} | {len(result.runs)} | {ms(result.median('wall') or 0)} "
            f"| {ms(result.median('cpu') or 0)} "
            f"| {'-' if per_test is None else f'{per_test * 1000:.2f}'} "
            f"| {'-' if startup is None else ms(startup)} "
            f"| {'-' if statements is None else f'{statements:g}'} |"
        )
    return "\n".join(lines)
