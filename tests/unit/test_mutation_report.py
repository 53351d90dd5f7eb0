"""make mutation's verdicts (tools/mutation): what counts as killed, survived and
equivalent, and which entries of equivalents.toml are wrong. A listed mutant that a
test kills is not equivalent: the list must not hide a kill, nor a flaky test's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.mutation.__main__ import EQUIVALENTS, report
from tools.mutation.results import Equivalent, Key, Mutant, load_equivalents

PATH = "talk_backend/entrypoints/http/errors.py"


def _mutant(n: int, status: str) -> Mutant:
    key = Key(PATH, "_http_error", f"before {n}", f"after {n}")
    return Mutant(name=f"m{n}", key=key, line=n, status=status)


def test_a_killed_listed_mutant_counts_as_killed_and_its_entry_as_wrong(capsys):
    killed, listed_killed, listed_survived, survived = (
        _mutant(1, "killed"),
        _mutant(2, "killed"),
        _mutant(3, "survived"),
        _mutant(4, "survived"),
    )
    equivalents = [Equivalent(m.key, "why") for m in (listed_killed, listed_survived)]
    missing = Equivalent(Key(PATH, "_http_error", "gone", "gone"), "the code changed")
    results = {"http": ([killed, listed_killed, listed_survived, survived], 1.0)}

    unlisted, stale, refuted = report(results, [*equivalents, missing])

    assert unlisted == [survived]
    assert refuted == [listed_killed]
    assert [e.key for e in stale] == [missing.key]
    row = next(line for line in capsys.readouterr().out.splitlines() if PATH in line)
    # 4 mutants, 2 killed, 1 survived, 1 equivalent: 2 of 3 counted = 66.7%
    assert row.split()[1:] == ["4", "2", "1", "1", "66.7%"]


def test_every_committed_equivalent_says_why_on_one_line():
    entries = load_equivalents(EQUIVALENTS)
    assert entries, EQUIVALENTS
    keys = [e.key for e in entries]
    assert len(keys) == len(set(keys)), "an entry is listed twice"
    assert all(Path(e.key.path).suffix == ".py" and e.why for e in entries)


def test_an_entry_without_a_reason_is_refused(tmp_path):
    file = tmp_path / "equivalents.toml"
    file.write_text('[[equivalent]]\nwhere = "a.py::f"\nbefore = "x"\nafter = "y"\nwhy = "  "\n')
    with pytest.raises(SystemExit, match="'why' must be one non-empty line"):
        load_equivalents(file)
