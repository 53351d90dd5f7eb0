"""Every environment variable the README documents is read somewhere: as a setting
the application uses, or by a script or the test harness. A documented variable
that nothing reads fails here (and should be implemented or removed)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.examples import setting_attributes

REPO = Path(__file__).absolute().parents[2]  # tests/docs: not in the Bazel graph (reads the repo)
_NAME = re.compile(r"`([A-Z][A-Z0-9_]*[A-Z0-9])`")


def _readme_section(heading: str) -> str:
    text = (REPO / "README.md").read_text()
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def documented() -> set[str]:
    names = set(_NAME.findall(_readme_section("Configuration")))
    return {n for n in names if "_" in n or n in {"DEBUG", "ENVIRONMENT"}}


def _files(*patterns: str) -> list[Path]:
    skip = {".venv", "node_modules", ".git"}
    return [
        p
        for pattern in patterns
        for p in REPO.glob(pattern)
        if p.is_file()
        and not skip & set(p.relative_to(REPO).parts)
        and not p.relative_to(REPO).parts[0].startswith(".venv")
    ]


def _app_code() -> str:
    files = _files("talk_backend/**/*.py")
    return "\n".join(p.read_text() for p in files if p.name != "settings.py")


def _readers() -> str:
    """Code that reads the environment directly: Python, shell scripts, Makefiles."""
    files = _files(
        "talk_backend/**/*.py",
        "tests/harness/**/*.py",
        "tools/**/*.py",
        "scripts/*",
        "deployment/**/*.sh",
        "deployment/**/justfile",
        "Makefile",
        "mk/*.mk",
    )
    return "\n".join(p.read_text() for p in files)


def is_read(name: str, attributes: dict[str, str], app: str, readers: str) -> bool:
    attribute = attributes.get(name)
    if attribute is not None and re.search(rf"\.{attribute}\b(?!\s*\()", app):
        return True
    direct = [
        rf"environ(?:\.get)?\(\s*[\"']{name}[\"']",
        rf"environ\[\s*[\"']{name}[\"']\s*\]",
        rf"getenv\(\s*[\"']{name}[\"']",
        rf"\$\{{{name}\b",
        rf"\${name}\b",
        rf"\$\({name}\)",
    ]
    return any(re.search(pattern, readers) for pattern in direct)


def test_the_readme_documents_variables():
    names = documented()
    assert {"DATABASE__URL", "ATPROTO_PDS_URL", "DEBUG", "TALK_TEST_POSTGRES"} <= names, names


def test_every_documented_variable_is_read_somewhere():
    attributes = setting_attributes()
    app, readers = _app_code(), _readers()
    unread = sorted(n for n in documented() if not is_read(n, attributes, app, readers))
    assert unread == [], f"documented in README.md but read nowhere: {unread}"


def test_the_check_catches_an_unread_variable():
    # The rule above must be able to fail: a setting nothing uses is not "read".
    attributes = {"SOME_SETTING": "some_setting_nobody_uses"}
    assert not is_read("SOME_SETTING", attributes, "settings.other", "echo $OTHER")
    assert is_read("X_Y", {}, "", 'os.environ.get("X_Y")')
    assert is_read("X_Y", {}, "", 'host="${X_Y:-1}"')
