"""Reads what mutmut left in mutants/ into plain records: where each mutant is, what it
changes, and what became of it.

A mutant is identified by its file, its function and the text it changes (the
removed and added lines, stripped), never by mutmut's number (x_parse__mutmut_3):
the numbers shift whenever a function gains or loses a mutable spot, the text only
when that line itself changes. When one function holds the same change twice (two
identical lines), `occurrence` tells them apart, counted in source order."""

from __future__ import annotations

import ast
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

CLASS_SEP = "ǁ"  # how mutmut joins class and method in its names

# mutmut's exit codes (mutmut.stats.status_by_exit_code), folded into what the table
# counts: a timeout is a detection (the mutant made the tests hang); a mutant that no
# selected test reaches, or whose result is odd, is a survivor.
KILLED_CODES = frozenset({1, 3, 36, 24, -24, 152, 255})
NO_TESTS_CODES = frozenset({5, 33})


@dataclass(frozen=True)
class Key:
    path: str
    function: str
    before: str
    after: str
    occurrence: int = 1


@dataclass(frozen=True)
class Mutant:
    name: str  # mutmut's, for `mutmut show` while mutants/ exists
    key: Key
    line: int
    status: str  # killed | survived | no tests


def function_of(mutant_name: str) -> str:
    """Did.parse for talk_backend.domain.identity.xǁDidǁparse__mutmut_3."""
    mangled = mutant_name.partition("__mutmut_")[0].rpartition(".")[2]
    if CLASS_SEP in mangled:
        _, cls, method = mangled.split(CLASS_SEP)
        return f"{cls}.{method}"
    return mangled.removeprefix("x_")


def _changed(diff: str) -> tuple[str, str, list[str]]:
    lines = diff.splitlines()
    removed = [ln[1:] for ln in lines if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:] for ln in lines if ln.startswith("+") and not ln.startswith("+++")]
    join = " ⏎ ".join
    return join(s.strip() for s in removed), join(s.strip() for s in added), removed


def _function_spans(source: str) -> dict[str, tuple[int, int]]:
    spans: dict[str, tuple[int, int]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([d.lineno for d in child.decorator_list] + [child.lineno])
                spans[prefix + child.name] = (start, child.end_lineno or child.lineno)

    visit(ast.parse(source), "")
    return spans


def _line_of(
    source_lines: list[str], span: tuple[int, int], removed: list[str], occurrence: int
) -> int:
    """The line of the function that reads like the first removed line (the n-th such
    line for the n-th identical change)."""
    if removed:
        wanted = removed[0].strip()
        matches = [
            number
            for number in range(span[0], span[1] + 1)
            if source_lines[number - 1].strip() == wanted
        ]
        if matches:
            return matches[min(occurrence, len(matches)) - 1]
    return span[0]


def _number(name: str) -> int:
    return int(name.rpartition("__mutmut_")[2])


def read(project: Path, paths: list[str]) -> list[Mutant]:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    mutants: list[Mutant] = []
    for path in paths:
        meta = project / "mutants" / f"{path}.meta"
        if not meta.exists():
            continue
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        source = (project / path).read_text()
        source_lines = source.splitlines()
        spans = _function_spans(source)
        seen: dict[tuple[str, str, str], int] = {}
        for name, code in sorted(
            codes.items(), key=lambda item: (item[0].partition("__mutmut_")[0], _number(item[0]))
        ):
            function = function_of(name)
            before, after, removed = _changed(get_diff_for_mutant(name, path=path))
            occurrence = seen[function, before, after] = seen.get((function, before, after), 0) + 1
            span = spans.get(function, (1, len(source_lines)))
            if code in KILLED_CODES:
                status = "killed"
            elif code in NO_TESTS_CODES:
                status = "no tests"
            else:
                status = "survived"
            mutants.append(
                Mutant(
                    name=name,
                    key=Key(path, function, before, after, occurrence),
                    line=_line_of(source_lines, span, removed, occurrence),
                    status=status,
                )
            )
    return mutants


@dataclass(frozen=True)
class Equivalent:
    key: Key
    why: str


def load_equivalents(file: Path) -> list[Equivalent]:
    """tools/mutation/equivalents.toml: [[equivalent]] where = "path::function",
    before/after = the changed text as the survivor list prints it, occurrence when
    the survivor list shows one (#2), why = one line."""
    data = tomllib.loads(file.read_text())
    found = []
    for entry in data.get("equivalent", []):
        path, _, function = entry["where"].partition("::")
        why = entry["why"].strip()
        if not why or "\n" in why:
            raise SystemExit(f"{file}: {entry['where']}: 'why' must be one non-empty line")
        key = Key(path, function, entry["before"], entry["after"], entry.get("occurrence", 1))
        found.append(Equivalent(key, why))
    return found
