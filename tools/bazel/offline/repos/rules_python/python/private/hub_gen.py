"""Writes the offline @pypi hub: one package per locked distribution.

Run by venv_hub.bzl with the project venv's interpreter, in the hub repository:
    hub_gen.py REQUIREMENTS_LOCK SITE_PACKAGES

For every distribution pinned in the lock it writes `<name>/BUILD.bazel` (the
`@pypi//<name>` and `@pypi//<name>:pkg` aliases pip.parse's hub has) and, in the
root BUILD.bazel, a py_library holding exactly that distribution's installed
files (its RECORD) whose deps are the distributions its wheel metadata requires
(Requires-Dist, markers evaluated for this interpreter, no extras: the lock names
none, so pip.parse's whl_library gets none either). `modules.json` maps every
top-level importable name to its distribution, for the direct-import check.
"""

from __future__ import annotations

import compileall
import importlib.util
import json
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def locked_names(lock: Path) -> dict[str, bool]:
    """Every pinned distribution, and whether this platform installs it (its marker)."""
    names: dict[str, bool] = {}
    env = default_environment()
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==[^ ;\\]+ *(;[^\\]*)?", line)
        if match:
            marker = (match.group(3) or ";").lstrip(";").strip()
            applies = Requirement("x ; " + marker).marker.evaluate(env) if marker else True
            names[normalize(match.group(1))] = applies
    return names


def keep(path: str) -> bool:
    # build-runfiles refuses names with spaces; bytecode is regenerated; files
    # outside site-packages (console scripts in bin/) are not importable.
    return not (
        path.startswith("..")
        or " " in path
        or "__pycache__" in path
        or path.endswith(".pyc")
        or path.endswith(".pth")
        or path.startswith("__editable__")
    )


def top_level(path: str) -> str | None:
    first = path.split("/")[0]
    if first.endswith((".dist-info", ".data")) or first.endswith(".libs"):
        return None
    if "/" in path:
        return first
    if path.endswith(".py"):
        return path[: -len(".py")]
    if path.endswith(".so"):
        return path.split(".")[0]
    return None


def bytecode(site: Path, files: list[str]) -> list[str]:
    """The installed modules' bytecode, compiled into the venv when missing.

    Runfiles are read-only, so without it every test would compile its imports
    again on every run (rules_python's precompile option plays this part)."""
    found = []
    for f in files:
        if f.endswith(".py"):
            source = site / f
            cached = Path(importlib.util.cache_from_source(str(source)))
            if not cached.exists():
                compileall.compile_file(str(source), quiet=2)
            if cached.exists():
                found.append(str(cached.relative_to(site)))
    return found


def main(lock_path: str, site_packages: str) -> None:
    site = Path(site_packages)
    env = default_environment()
    env["extra"] = ""
    locked = locked_names(Path(lock_path))
    installed = {normalize(d.metadata["Name"]): d for d in metadata.distributions(path=[str(site)])}
    missing = [n for n, applies in locked.items() if applies and n not in installed]
    if missing:
        sys.exit(f"locked but not installed in the venv (run `make venv`): {', '.join(missing)}")

    libraries = []
    modules: dict[str, str] = {}
    for name in sorted(locked):
        # A distribution whose marker excludes this platform: an empty library,
        # as pip.parse's hub selects nothing for it here.
        dist = installed.get(name) if locked[name] else None
        files = sorted(
            str(f)
            for f in ((dist.files or []) if dist else [])
            if keep(str(f)) and (site / str(f)).is_file()
        )
        files += bytecode(site, files)
        for f in files:
            module = top_level(f)
            if module:
                modules.setdefault(module, name)
        deps = set()
        for spec in (dist.requires or []) if dist else []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate(env):
                dep = normalize(req.name)
                if dep in installed and locked.get(dep) and dep != name:
                    deps.add(dep)
        py = ["site-packages/" + f for f in files if f.endswith(".py")]
        other = ["site-packages/" + f for f in files if not f.endswith(".py")]
        libraries.append(
            "py_library(\n"
            f'    name = "_whl_{name}",\n'
            f"    srcs = {json.dumps(py)},\n"
            f"    data = {json.dumps(other)},\n"
            '    imports = ["site-packages"],\n'
            f"    deps = {json.dumps([':_whl_' + d for d in sorted(deps)])},\n"
            ")\n"
        )
        Path(name).mkdir(exist_ok=True)
        Path(name, "BUILD.bazel").write_text(
            "".join(
                f'alias(\n    name = "{alias}",\n    actual = "//:_whl_{name}",\n'
                '    visibility = ["//visibility:public"],\n)\n\n'
                for alias in (name, "pkg")
            )
        )
    Path("BUILD.bazel").write_text(
        'package(default_visibility = ["//visibility:public"])\n\n' + "\n".join(libraries)
    )
    Path("modules.json").write_text(json.dumps(modules, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
