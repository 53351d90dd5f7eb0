"""Medians and p95 of repeated measurements, and the table `make bench` prints."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


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
