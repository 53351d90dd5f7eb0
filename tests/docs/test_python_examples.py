"""Every Python example in README.md and docs/*.md runs as written, so none can rot.

A block that defines tests is written to its own file in a temporary directory and
run by pytest with the harness plugin (as it would run under tests/integration);
any other block runs as a script. Both in a child process, from the repository root
on PYTHONPATH, with the parent's choice of PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.child_suite import write_pytest_ini
from tests.docs.examples import REPO, Block, blocks

PYTHON_BLOCKS = blocks("python")


def test_the_docs_have_python_examples():
    # The parametrised test below would pass vacuously if extraction found nothing.
    names = {b.path.name for b in PYTHON_BLOCKS}
    assert {"README.md", "architecture.md"} <= names, names


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    child_tmp = tmp / ".tmp"
    child_tmp.mkdir()
    env["TMPDIR"] = str(child_tmp)
    env["TALK_TEST_REUSE"] = "0"  # a kept server would outlive the example's run
    return env


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda b: b.name)
def test_python_example_runs_as_written(block: Block, tmp_path: Path):
    compile(block.code, block.name, "exec")  # a syntax error names the document and line
    defines_tests = re.search(r"^\s*(async )?def test_", block.code, re.MULTILINE)
    name = "test_example.py" if defines_tests else "example.py"
    (tmp_path / name).write_text(block.code)
    if defines_tests:
        write_pytest_ini(tmp_path)
        command = [sys.executable, "-m", "pytest", "-q", "-rA", str(tmp_path)]
    else:
        command = [sys.executable, str(tmp_path / name)]
    proc = subprocess.run(
        command,
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{block.name} fails as written:\n{out}"
    if defines_tests:
        # pytest's last line: every test passed, none skipped (a skip is not a pass).
        summary = [line for line in out.splitlines() if re.search(r"\d+ passed", line)]
        assert summary, out
        assert not re.search(r"skipped|xfailed|deselected|failed|error", summary[-1]), out
