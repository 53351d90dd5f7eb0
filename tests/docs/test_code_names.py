"""Every code name README.md and docs/*.md mention exists in the repository.

A code name is a backticked word in a document's text (fenced blocks are run by the
example tests instead) that names something of this repository:
- a repository path (`tools/bench/loop.py`, `deployment/local/`), found at the root or
  as the tail of a path (`tables.py`, `migrations/test_migrations`, a test target);
- a Bazel label (`//tools/bazel:test_server`): its package, and the target in its BUILD
  file or as a file of the package;
- a make target (`make bench-api`) in Makefile or mk/*.mk, a just recipe (`just down`);
- a dotted Python name under talk_backend, tests or tools: the module, and each
  attribute defined in it (`talk_backend.container.create_container`);
- `Class.member`: a class of that name whose module defines the member;
- an identifier: CamelCase, snake_case or an UPPER_CASE variable, defined somewhere
  in the repository's sources (def, class, assignment, keyword, key, import, string
  or shell variable), or a setting's environment name;
- an API route (`GET /me`): a route of the app's routers.
Anything else (prose in backticks, flags, URLs, absolute paths, placeholders with <>,
{} or ...) is not checked. What looks like a code name but is not one of ours is in
ALLOWED, each with its reason. One test per document, so a failure names the document.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from tests.docs.examples import REPO, documents, setting_attributes

# Terms that have the shape of a code name but name nothing in this repository.
ALLOWED: dict[str, str] = {
    "NaN": "JSON's not-a-number, which the API refuses",
    "SomeRepository": "a placeholder in the guide's example",
    "TCP_NODELAY": "a socket option (the standard library's socket.TCP_NODELAY)",
    "npm_config_nodedir": "npm's own environment variable",
}

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_SPAN = re.compile(r"(?<!`)`([^`]+)`(?!`)")
_HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}
_EXTENSIONS = [
    ".py",
    ".md",
    ".bazel",
    ".bzl",
    ".toml",
    ".sh",
    ".yml",
    ".yaml",
    ".json",
    ".txt",
    ".ini",
    ".mk",
    ".in",
    ".mjs",
    ".js",
    ".just",
    ".lock",
    ".cfg",
    ".html",
    ".sql",
    ".zip",
]
_PLACEHOLDER = re.compile(r"[<>{}*…$|%?\[\]]|\.\.\.")
_SHELL_BREAK = {"&&", "||", ";", "|", ">", "2>&1"}
_SKIP_DIRS = {".git", "node_modules", ".build", "mutants", "__pycache__"}
_SOURCE_SUFFIXES = set(_EXTENSIONS) - {".md", ".lock", ".zip"} | {".bazelrc", ".css", ".service"}
_SOURCE_NAMES = {"Makefile", "BUILD", "WORKSPACE", "justfile", ".bazelrc", "run", "Dockerfile"}
_CAMEL = re.compile(r"^_?[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*$")
_SNAKE = re.compile(r"^_?[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_UPPER = re.compile(r"^[A-Z][A-Z0-9]*(?:__?[A-Z0-9]+)+$")
_DOTTED = re.compile(r"^(talk_backend|tests|tools)(\.\w+)+$")
_MEMBER = re.compile(r"^([A-Z]\w*)\.(\w+)$")
_DEFINED = [
    re.compile(r"\b(?:def|class)\s+(\w+)"),
    re.compile(r"\b(\w+)\s*(?::[^\n=()]*)?=(?!=)"),
    re.compile(r"^\s*-?\s*(\w+)\s*:", re.MULTILINE),
    re.compile(r"[\"'$](\w+)"),
    re.compile(r"\$[{(](\w+)"),
    re.compile(r"^\s*(?:export\s+)?(\w+)\s*[:?]?=", re.MULTILINE),
    re.compile(r"^\s*\w+=[\"']?(\w+)", re.MULTILINE),  # a shell variable's value
    re.compile(r"_env=(\w+)"),  # .bazelrc: --test_env=NAME passes NAME through
    re.compile(r"\b(?:secrets|vars|env)\.(\w+)"),  # a GitHub workflow's expressions
]
_ROUTE_PARAMETER = re.compile(r"\{[^}]*\}")
_IMPORTS = re.compile(r"\bimport\s+(\([^)]*\)|[^\n]+)")


@dataclass(frozen=True)
class Name:
    doc: Path
    line: int
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}: {self.kind} `{self.text}`"


def _walk() -> Iterator[Path]:
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [
            d
            for d in dirs
            if d not in _SKIP_DIRS
            and not d.startswith((".venv", "bazel-", ".mypy", ".ruff"))
            and not d.startswith(".pytest")
        ]
        for name in files:
            yield Path(root, name)


@cache
def repository_paths() -> frozenset[str]:
    """Every file and directory of the checkout, relative, directories both ways."""
    found: set[str] = set()
    for path in _walk():
        rel = path.relative_to(REPO)
        found.add(str(rel))
        for parent in rel.parents:
            if str(parent) != ".":
                found.add(str(parent))
    return frozenset(found)


@cache
def source_text() -> str:
    """The repository's code and configuration: no Markdown, no past migration."""
    parts = []
    for path in _walk():
        rel = path.relative_to(REPO).as_posix()
        # Past migrations keep names the schema has dropped; tests/docs quotes the docs.
        if rel.startswith(("alembic/versions/", "tests/docs/")):
            continue
        if path.suffix in _SOURCE_SUFFIXES or path.name in _SOURCE_NAMES:
            try:
                parts.append(path.read_text())
            except (UnicodeDecodeError, OSError):
                continue
    return "\n".join(parts)


def defined_names(text: str) -> set[str]:
    names: set[str] = set()
    for pattern in _DEFINED:
        names.update(pattern.findall(text))
    for listed in _IMPORTS.findall(text):
        names.update(re.findall(r"\w+", listed))
    return names


@cache
def source_names() -> frozenset[str]:
    stems = {Path(p).stem for p in repository_paths()} | {Path(p).name for p in repository_paths()}
    return frozenset(defined_names(source_text()) | stems | set(setting_attributes()))


@cache
def make_targets() -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    targets: set[str] = set()
    patterns = []
    for path in [REPO / "Makefile", *sorted((REPO / "mk").glob("*.mk"))]:
        for match in re.finditer(r"^([^\s#:=.$][^:=#\n]*?)\s*::?(?!=)", path.read_text(), re.M):
            for target in match.group(1).split():
                if "%" in target:
                    patterns.append(re.compile(re.escape(target).replace("%", ".+") + "$"))
                else:
                    targets.add(target)
    return frozenset(targets), tuple(patterns)


@cache
def just_recipes() -> frozenset[str]:
    recipes: set[str] = set()
    for path in REPO.glob("deployment/**/*"):
        if path.name == "justfile" or path.suffix == ".just":
            recipes.update(re.findall(r"^@?([\w-]+)[^:=\n]*:(?!=)", path.read_text(), re.M))
    return frozenset(recipes)


@cache
def api_routes() -> frozenset[tuple[str, str]]:
    from talk_backend.entrypoints.http import routers

    found: set[tuple[str, str]] = set()
    for module in pkgutil.iter_modules(routers.__path__):
        router = importlib.import_module(f"{routers.__name__}.{module.name}").router
        for route in router.routes:
            for method in getattr(route, "methods", None) or ():
                found.add((method, _ROUTE_PARAMETER.sub("{}", route.path)))
    found |= {("HEAD", path) for method, path in found if method == "GET"}
    return frozenset(found)


def _path_exists(path: str) -> bool:
    """In the checkout (at the root or as a path's tail), or a path the code makes."""
    path = path.rstrip("/")
    if path.startswith(".venv"):
        return True  # made by `make venv`: the layout is pip's and the venv's
    if path.startswith(".build/"):
        path = "/".join(path.split("/")[:2])  # made by a make target, which names it
    known = repository_paths()
    candidates = {path, f"{path}.py"}
    if candidates & known or any(p.endswith(f"/{c}") for p in known for c in candidates):
        return True
    return re.search(rf"(?<![\w.-]){re.escape(path)}(?![\w-])", source_text()) is not None


def _label_exists(label: str) -> bool:
    body = label.removeprefix("//")
    package, _, target = body.partition(":")
    if package == "...":
        return True
    if package.endswith("/..."):
        return _path_exists(package.removesuffix("/..."))
    directory = REPO / package
    build = [p for p in (directory / "BUILD.bazel", directory / "BUILD") if p.is_file()]
    if not build:
        return False
    if not target:
        return True  # the package's default target: package_library names it so
    if re.search(rf"\bname\s*=\s*\"{re.escape(target)}\"", build[0].read_text()):
        return True
    return (directory / target).exists() or (directory / f"{target}.py").is_file()


def _module_file(parts: list[str]) -> tuple[Path, int] | None:
    """The file of the longest module prefix of a dotted name, and its length."""
    for length in range(len(parts), 0, -1):
        base = REPO.joinpath(*parts[:length])
        for candidate in (base.with_suffix(".py"), base / "__init__.py", base / "__main__.py"):
            if candidate.is_file():
                return candidate, length
    return None


def _dotted_exists(name: str) -> bool:
    parts = name.split(".")
    found = _module_file(parts)
    if found is None:
        return False
    path, length = found
    if length == len(parts):
        return True
    defined = defined_names(path.read_text())
    return all(part in defined for part in parts[length:])


def _member_exists(cls: str, member: str) -> bool:
    """A class of ours that defines the member, or an imported one that has it."""
    pattern = re.compile(rf"^\s*class\s+{re.escape(cls)}\b", re.M)
    imported = re.compile(rf"^\s*from\s+([\w.]+)\s+import\s+[^\n]*\b{re.escape(cls)}\b", re.M)
    for path in _walk():
        if path.suffix == ".py" and path != Path(__file__):
            text = path.read_text()
            if pattern.search(text) and member in defined_names(text):
                return True
            for module in imported.findall(text):
                try:
                    found = getattr(importlib.import_module(module), cls, None)
                except ImportError:
                    continue
                if found is not None and hasattr(found, member):
                    return True
    return False


def classify(span: str) -> Iterator[tuple[str, str]]:
    """(kind, name) for each code name in one backticked span."""
    words = span.split()
    if not words:
        return
    if words[0] in {"make", "just"}:
        for word in words[1:]:
            if word in _SHELL_BREAK:
                break
            if "=" in word or word.startswith("-") or _PLACEHOLDER.search(word):
                continue
            yield ("make target" if words[0] == "make" else "just recipe"), word
            if words[0] == "just":
                break
        return
    if len(words) >= 2 and words[0] in _HTTP_METHODS and words[1].startswith("/"):
        yield "API route", f"{words[0]} {words[1].split('?')[0]}"
        return
    for raw in words:
        if re.fullmatch(r"\$\{?\w+\}?", raw):
            raw = raw.strip("${}")  # a shell variable
        if raw.startswith("//"):
            if not _PLACEHOLDER.search(raw.removesuffix("/...")):
                yield "Bazel label", re.sub(r"(?<!\.\.)[.,;]$", "", raw)
            continue
        # A call or a tuple: its names one by one (`env.get(FakeClock)`).
        for piece in re.split(r"[()\[\],\s]+", raw.split("=", 1)[0] if raw[:1] != "-" else ""):
            yield from _classify_word(re.sub(r"(?<!\.\.)[.:;]+$", "", piece.strip("\"'")))


def _classify_word(word: str) -> Iterator[tuple[str, str]]:
    if not word or word in ALLOWED or word.startswith(("-", "@", "~", "/", "#")):
        return
    if _PLACEHOLDER.search(word) or "://" in word or ":" in word:
        return
    if re.fullmatch(r"(text|application)/[a-z+*-]+", word):
        return  # a media type
    named_file = _MEMBER.match(word) is not None and _is_repository_file(word)
    if "/" in word or word.endswith(tuple(_EXTENSIONS)) or named_file:
        if not word.startswith(".") or "/" in word:
            yield "path", word
    elif _DOTTED.match(word):
        yield "Python name", word
    elif _MEMBER.match(word):
        yield "member", word
    elif _CAMEL.match(word) or _SNAKE.match(word) or _UPPER.match(word):
        yield "identifier", word


def _is_repository_file(word: str) -> bool:
    return any(p == word or p.endswith(f"/{word}") for p in repository_paths())


def code_names(doc: Path) -> list[Name]:
    text = _FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), doc.read_text())
    found = []
    for match in _SPAN.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        span = match.group(1).replace("\n", " ").strip()
        if span in ALLOWED:
            continue
        found += [Name(doc, line, kind, name) for kind, name in classify(span)]
    return found


def exists(kind: str, name: str) -> bool:
    if name in ALLOWED:
        return True
    if kind == "path":
        return _path_exists(name)
    if kind == "Bazel label":
        return _label_exists(name)
    if kind == "make target":
        targets, patterns = make_targets()
        return name in targets or any(p.match(name) for p in patterns)
    if kind == "just recipe":
        return name in just_recipes()
    if kind == "Python name":
        return _dotted_exists(name)
    if kind == "member":
        cls, member = name.split(".")
        return _member_exists(cls, member)
    if kind == "API route":
        method, path = name.split(" ", 1)
        return (method, _ROUTE_PARAMETER.sub("{}", path)) in api_routes()
    return name in source_names()


def _skip_under_bazel() -> None:
    if os.environ.get("TEST_SRCDIR"):
        pytest.skip("under Bazel the action has the documents, not the whole checkout they name")


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_code_name_in_the_document_exists(doc: Path):
    _skip_under_bazel()
    missing = [str(n) for n in code_names(doc) if not exists(n.kind, n.text)]
    assert missing == [], "named in the document, found nowhere in the repository:\n" + (
        "\n".join(missing)
    )


def test_every_allowed_term_is_still_in_a_document():
    # The allowlist stays as small as the documents need.
    texts = "\n".join(doc.read_text() for doc in documents())
    unused = [term for term in ALLOWED if f"`{term}" not in texts and f"({term})" not in texts]
    assert unused == [], f"allowed, but no document mentions them: {unused}"


def test_the_documents_name_code():
    _skip_under_bazel()
    kinds = {n.kind for doc in documents() for n in code_names(doc)}
    assert {"path", "make target", "Bazel label", "identifier", "Python name"} <= kinds, kinds


@pytest.mark.parametrize(
    ("span", "kind", "name"),
    [
        ("tools/bench/no_such_leg.py", "path", "tools/bench/no_such_leg.py"),
        ("make bench-nothing", "make target", "bench-nothing"),
        ("bazel run //tools:no_such_target", "Bazel label", "//tools:no_such_target"),
        ("//no/such/package/...", "Bazel label", "//no/such/package/..."),
        ("python -m tools.bench.nothing", "Python name", "tools.bench.nothing"),
        ("talk_backend.container.no_such_factory", "Python name", None),
        ("CompleteSignIn.sign_in(identity)", "member", "CompleteSignIn.sign_in"),
        ("NoSuchAdapterAnywhere", "identifier", None),
        ("no_such_table_anywhere", "identifier", None),
        ("TALK_NO_SUCH_VARIABLE=1", "identifier", "TALK_NO_SUCH_VARIABLE"),
        ("GET /no-such-route", "API route", None),
        ("just no-such-recipe -k NAME", "just recipe", "no-such-recipe"),
    ],
)
def test_the_check_catches_a_name_that_does_not_exist(span: str, kind: str, name: str | None):
    _skip_under_bazel()
    name = name or span
    assert list(classify(span)) == [(kind, name)]
    assert not exists(kind, name)


@pytest.mark.parametrize(
    ("span", "kind", "name"),
    [
        ("tools/bench/loop.py", "path", "tools/bench/loop.py"),
        ("tables.py", "path", "tables.py"),
        ("make bench BENCH_ARGS=--quick", "make target", "bench"),
        ("make newcomer-host-py313", "make target", "newcomer-host-py313"),
        ("bazel run //tools/bazel:test_server -- stop", "Bazel label", "//tools/bazel:test_server"),
        ("//tests/integration/...", "Bazel label", "//tests/integration/..."),
        ("python -m tools.bench_api.layers", "Python name", "tools.bench_api.layers"),
        ("talk_backend.container.create_container", "Python name", None),
        ("create_env_fixture(unmock={})", "identifier", "create_env_fixture"),
        ("TALK_TEST_REUSE=0", "identifier", "TALK_TEST_REUSE"),
        ("DATABASE__URL", "identifier", None),
        ("GET /healthz", "API route", None),
        ("just down", "just recipe", "down"),
    ],
)
def test_the_check_finds_names_that_exist(span: str, kind: str, name: str | None):
    _skip_under_bazel()
    name = name or span
    assert list(classify(span)) == [(kind, name)]
    assert exists(kind, name)


def test_prose_and_outside_names_are_not_checked():
    for span in ["--config=reuse", "https://bsky.social", "/dev/shm", "text/plain", "~/.x", "on"]:
        assert list(classify(span)) == [], span
