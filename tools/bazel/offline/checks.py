"""Checks of the Bazel 9 configuration that the offline Bazel cannot make by running it.

    checks.py module                 MODULE.bazel, .bazelrc, the remote workflow
    checks.py orphans LABELS         every tests/**/test_*.py is a test target's source
    checks.py imports XML MODULES    each py target's third-party imports are direct deps

`module` checks every bazel_dep against the registry's published versions
(registry_versions.json: read from the registry's metadata.json files, with date
and source), and what made Bazel 9 fail before: --lockfile_mode=error without a
committed lock, the reserved hub name, missing per-platform oci repositories.
`orphans` reads `bazel query 'labels(srcs, tests(//...))'`; `imports` reads
`bazel query --output=xml` of the py targets and the offline hub's modules.json.
Each prints one line per problem and exits 1 if there is any.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
# alembic/ holds migrations as data, so `alembic` in an import is the PyPI package.
FIRST_PARTY = {"talk_backend", "tests", "tools"}


def _value(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)  # a name or an expression: its source text


def _calls(text: str, func: str) -> list[dict[str, object]]:
    """Arguments of every `func(...)` call in a Starlark file (Python-parseable)."""
    tree = ast.parse(text)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == func:
            args: dict[str, object] = {"_positional": [_value(a) for a in node.args]}
            for kw in node.keywords:
                if kw.arg is not None:
                    args[kw.arg] = _value(kw.value)
            found.append(args)
    return found


def check_module() -> list[str]:
    problems = []
    module = (ROOT / "MODULE.bazel").read_text()
    registry = json.loads((HERE / "registry_versions.json").read_text())
    for dep in _calls(module, "bazel_dep"):
        name, version = str(dep["name"]), str(dep["version"])
        known = registry["modules"].get(name)
        if known is None:
            problems.append(
                f"MODULE.bazel: bazel_dep {name}: not in registry_versions.json; add its "
                "versions from the registry's modules/{name}/metadata.json"
            )
        elif version not in known["versions"]:
            problems.append(
                f"MODULE.bazel: bazel_dep {name} {version} is not published in the registry "
                f"(snapshot {registry['snapshot']}; newest {known['versions'][-1]})"
            )
        elif version in known["yanked"]:
            problems.append(f"MODULE.bazel: bazel_dep {name} {version} is yanked")

    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--error-unmatch", "MODULE.bazel.lock"],
        capture_output=True,
    )
    rc = (ROOT / ".bazelrc").read_text()
    if re.search(r"^[^#]*--lockfile_mode=error", rc, re.M) and tracked.returncode != 0:
        problems.append(
            ".bazelrc: --lockfile_mode=error but no MODULE.bazel.lock is committed: "
            "every command with that config fails"
        )

    for parse in _calls(module, "pip.parse"):
        if parse.get("hub_name") == "pypi":
            problems.append('MODULE.bazel: hub_name "pypi" is reserved since rules_python 2.2')
        if "linux_x86_64" not in list(parse.get("target_platforms", [])):  # type: ignore[call-overload]
            problems.append("MODULE.bazel: pip.parse target_platforms lacks linux_x86_64")
    used = [a for u in _calls(module, "use_repo") for a in u["_positional"][1:]]  # type: ignore[index]
    for pull in _calls(module, "oci.pull"):
        for platform in pull.get("platforms", []):  # type: ignore[attr-defined]
            repo = f"{pull['name']}_{platform.replace('/', '_')}"
            if repo not in used:
                problems.append(f"MODULE.bazel: use_repo(oci, ...) lacks {repo}")

    workflow = (ROOT / ".github/workflows/bazel-remote.yml").read_text()
    for line in workflow.splitlines():
        if "--remote_header=$" in line and "if " not in line and "&&" not in line:
            problems.append(
                f"bazel-remote.yml: {line.strip()!r} writes an empty --remote_header= "
                "when the secret is unset"
            )
    if "actions/cache" not in workflow:
        problems.append("bazel-remote.yml: no repository or disk cache is kept between runs")
    return problems


def check_orphans(labels_file: str) -> list[str]:
    sources = set()
    for label in Path(labels_file).read_text().split():
        if label.startswith("//"):
            package, _, name = label[2:].partition(":")
            sources.add(f"{package}/{name}" if package else name)
    tests = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").rglob("*.py")
        if p.name.startswith("test_") or p.name.endswith("_test.py")
    )
    return [f"{t}: no test target runs it (add a BUILD.bazel)" for t in tests if t not in sources]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def check_imports(xml_file: str, modules_file: str) -> list[str]:
    modules = json.loads(Path(modules_file).read_text())
    problems = []
    for rule in ET.parse(xml_file).getroot().iter("rule"):
        name = rule.get("name", "")
        lists = {e.get("name"): [x.get("value", "") for x in e] for e in rule.iter("list")}
        direct = set()
        for dep in lists.get("deps", []):
            match = re.match(r"@pypi//([^:]+)", dep)
            if match:
                direct.add(match.group(1))
        wanted: dict[str, set[str]] = {}
        for src in lists.get("srcs", []):
            if not src.startswith("//") or not src.endswith(".py"):
                continue
            package, _, file = src[2:].partition(":")
            for module in _imports(ROOT / package / file):
                dist = modules.get(module)
                if dist and module not in FIRST_PARTY and module not in sys.stdlib_module_names:
                    wanted.setdefault(dist, set()).add(f"{package}/{file}")
        for dist, files in sorted(wanted.items()):
            if dist not in direct:
                problems.append(
                    f"{name}: imports {dist} ({', '.join(sorted(files))}) "
                    f"without @pypi//{dist} in deps"
                )
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "module":
        problems = check_module()
    elif command == "orphans":
        problems = check_orphans(argv[1])
    elif command == "imports":
        problems = check_imports(argv[1], argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for problem in problems:
        print(f"check {command}: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
