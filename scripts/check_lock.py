"""Fails when pyproject.toml and requirements_lock.txt drift apart.

1. Every dependency pyproject.toml declares (dev extra included) is pinned in the
   lock at a version its specifier allows, with hashes.
2. No download address or index host is recorded in the lock.
3. Re-resolving with uv, preferring the locked pins, gives the same lock: the lock
   is complete and consistent with pyproject.toml (skipped with --offline).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements_lock.txt"
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;\\]+)")


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(3)
    return pins


def _hashed(text: str, name: str) -> bool:
    """The pin line of `name` continues with at least one --hash option."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = _PIN.match(line)
        if match and canonicalize_name(match.group(1)) == name:
            return i + 1 < len(lines) and "--hash=sha256:" in lines[i + 1]
    return False


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    raw = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        raw.extend(extra)
    return [Requirement(r) for r in raw]


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


def main() -> int:
    text = LOCK.read_text()
    pins = _pins(text)
    problems = []
    for req in _declared():
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name} is declared in pyproject.toml but not locked")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} in the lock does not satisfy {req}")
    if "://" in _body(text):
        problems.append("the lock records a URL; it must hold versions and hashes only")
    unhashed = [name for name in pins if not _hashed(text, name)]
    if unhashed:
        problems.append(f"locked without hashes: {', '.join(sorted(unhashed))}")
    if not problems and "--offline" not in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "lock.txt"
            fresh.write_text(text)  # uv prefers the pins already in the output file
            subprocess.run(
                [sys.executable, "-m", "uv", "pip", "compile", "-q", "--universal",
                 "--generate-hashes", "--python-version", "3.11", "--extra", "dev",
                 "-o", str(fresh), str(ROOT / "pyproject.toml")],
                check=True,
                cwd=ROOT,
            )  # fmt: skip
            if _body(fresh.read_text()) != _body(text):
                problems.append("re-resolving pyproject.toml changes the lock: run `make lock`")
    for problem in problems:
        print(f"lock-check: {problem}", file=sys.stderr)
    if not problems:
        print(f"lock-check: {len(pins)} pinned packages agree with pyproject.toml")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
