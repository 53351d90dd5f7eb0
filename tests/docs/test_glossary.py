"""docs/architecture.md's glossary is one the code obeys: every code name it gives for
a word exists in talk_backend, and the spellings it retired are gone from the code,
the API paths, the tables and the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import talk_backend
from tests.docs.examples import REPO, section

SOURCES = Path(talk_backend.__file__).absolute().parent
# Names one concept had before it got its one word (the grant had five).
RETIRED = ("bluesky-session", "bluesky_session", "Bluesky session", "oauth_sessions",
           "SignInFailed", "ShowBlueskyGrant", "link to Bluesky", "Bluesky link",
           "logout", "StartLogin")  # fmt: skip


def _source_text() -> str:
    kinds = ("*.py", "*.html", "*.js", "*.css")
    return "\n".join(p.read_text() for kind in kinds for p in sorted(SOURCES.rglob(kind)))


def _glossary_names() -> list[str]:
    names = []
    for row in section(REPO / "docs" / "architecture.md", "Glossary").splitlines():
        cells = row.split("|")
        if len(cells) == 5 and not set(cells[1].strip()) <= {"-"}:
            names += re.findall(r"`([^`]+)`", cells[3])
    return names


def test_the_glossary_names_code():
    assert len(_glossary_names()) >= 20, "the glossary table was not found or is empty"


@pytest.mark.parametrize("name", _glossary_names())
def test_every_name_in_the_glossary_exists_in_the_code(name):
    spelled = name.split(": ")[-1].strip()
    assert re.search(rf"(?<![\w/-]){re.escape(spelled)}(?![\w-])", _source_text()), spelled


@pytest.mark.parametrize("retired", RETIRED)
def test_retired_names_are_gone_from_the_code(retired):
    assert retired.lower() not in _source_text().lower()


def test_sign_in_is_never_called_login_in_the_code():
    # OAuth's own parameter keeps its name (RFC 9396 / atproto: login_hint).
    assert "login" not in _source_text().lower().replace("login_hint", "")
