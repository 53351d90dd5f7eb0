"""A cache of migrated data directories for the embedded server: a cold run copies one
instead of running initdb and the migrations (the one-test loop, #22).

An entry is a cleanly shut-down data directory with the throwaway settings applied and
the migrated template (templates.TEMPLATE_PREFIX + migrations_hash) inside. Its name
is its key: the PostgreSQL major, the embedding package's version (its minor release),
the migrations' hash (alembic/env.py and versions/) and the server settings, so a
changed migration or another PostgreSQL is a new entry, never a stale one.

- Where: $TALK_TEST_PGDATA_CACHE_DIR, else $XDG_CACHE_HOME/talk-backend/pgdata, else
  ~/.cache/talk-backend/pgdata. Only copies ever run: an entry is never a live server's
  data directory, so two checkouts or concurrent runs may share the cache.
- Built once, atomically: under a build name (.build-*) that readers ignore, with a
  COMPLETE file naming the key written last, then renamed. Builds take a lock on the
  cache directory (one build at a time; a second cold run waits, then copies). An entry
  without its COMPLETE file, or one naming another key, is ignored and replaced.
- Bounded: the KEEP most recently used entries (about 45 MB each) stay; a build
  evicts the rest. `make test-cache-clear` removes the whole cache.
- Not used with CI set (CI's runs stay clean: every run does initdb and the migrations,
  so a broken migration cannot hide behind an entry, and a CI machine starts without a
  cache anyway), under Bazel (TEST_TMPDIR: the sandbox may not write to the home
  directory), or with TALK_TEST_PGDATA_CACHE=0. TALK_TEST_PGDATA_CACHE=1 forces it.

Copies, never hard links: PostgreSQL rewrites its files in place, which would write
through a link into the entry. `cp --reflink=auto` shares blocks copy-on-write where
the file system can (btrfs, XFS); on tmpfs and ext4 it copies (about 45 MB)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.harness.postgres import reuse

VARIABLE = "TALK_TEST_PGDATA_CACHE"
DIR_VARIABLE = "TALK_TEST_PGDATA_CACHE_DIR"
COMPLETE = "TALK_CACHE_COMPLETE"  # written last, names the key
BUILD_PREFIX = ".build-"
KEEP = 3
# Files of a running server or of the embedding package, never part of an entry.
_RUNTIME_FILES = ("postmaster.pid", "postmaster.opts", "log", ".handle_pids.json")


def enabled() -> bool:
    chosen = reuse.switch(VARIABLE, os.environ.get("TALK_TEST_PGDATA_CACHE", ""))
    if chosen is not None:
        return chosen
    return not (reuse.on_ci() or os.environ.get("TEST_TMPDIR"))


def cache_dir() -> Path:
    override = os.environ.get("TALK_TEST_PGDATA_CACHE_DIR", "").strip()
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "talk-backend" / "pgdata"


# Only directories named like an entry or a build are ever deleted: the cache directory
# may be one a developer chose (TALK_TEST_PGDATA_CACHE_DIR).
_ENTRY_NAME = re.compile(
    rf"^(?:{re.escape(BUILD_PREFIX)})?pg\d+-[0-9a-f]+-[0-9a-f]{{8}}(?:-[0-9a-f]{{8}})?$"
)


def _ours(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and bool(_ENTRY_NAME.match(path.name))


def key(major: int, package_version: str, migrations: str, settings: str) -> str:
    digest = hashlib.sha256(f"{package_version}\0{settings}".encode()).hexdigest()[:8]
    return f"pg{major}-{migrations}-{digest}"


def _valid(entry: Path, name: str) -> bool:
    try:
        return (entry / COMPLETE).read_text().strip() == name and (entry / "PG_VERSION").is_file()
    except OSError:
        return False


@contextlib.contextmanager
def _flock(path: Path, mode: int, timeout: float | None = 120.0) -> Iterator[bool]:
    """A lock on the directory itself (no lock file to leave behind); yields False
    when `timeout` is None and the lock is taken."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        yield False
        return
    try:
        deadline = time.monotonic() + (timeout or 0)
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if timeout is None:
                    yield False
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path} locked for more than {timeout:.0f} s") from None
                time.sleep(0.05)
        yield True
    finally:
        os.close(fd)


def copy_into(name: str, pgdata: Path) -> bool:
    """Fills the empty `pgdata` from entry `name`; False (pgdata left empty) when there
    is no complete entry."""
    entry = cache_dir() / name
    with _flock(entry, fcntl.LOCK_SH) as locked:  # `stop` does not delete it meanwhile
        if not locked or not _valid(entry, name):
            return False
        try:
            _copy_tree(entry, pgdata)
        except BaseException:
            empty(pgdata)
            raise
        (pgdata / COMPLETE).unlink()
        with contextlib.suppress(OSError):
            os.utime(entry)  # most recently used: the last to be evicted
    return True


def build(name: str, make: Callable[[Path], None], pgdata: Path) -> bool:
    """Publishes entry `name` unless a complete one exists (False then, and `pgdata` is
    left empty): `make(pgdata)` leaves a cleanly stopped, migrated data directory in the
    empty `pgdata`, which is copied into the cache under a build name and renamed when
    complete. `pgdata` keeps what `make` made."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with _flock(root, fcntl.LOCK_EX):
        if _valid(root / name, name):
            return False  # another run built it while this one waited
        for abandoned in root.glob(f"{BUILD_PREFIX}*"):  # builds run under this lock
            if _ours(abandoned):
                shutil.rmtree(abandoned, ignore_errors=True)
        make(pgdata)
        for leftover in _RUNTIME_FILES:
            with contextlib.suppress(FileNotFoundError):
                (pgdata / leftover).unlink()
        building = root / f"{BUILD_PREFIX}{name}-{uuid.uuid4().hex[:8]}"
        building.mkdir()
        try:
            _copy_tree(pgdata, building)
            (building / COMPLETE).write_text(f"{name}\n")
            _remove_entry(root / name)  # an invalid entry of this name (half-made, damaged)
            os.rename(building, root / name)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        _evict(root, keep=name)
    return True


def _copy_tree(source: Path, target: Path) -> None:
    """`source`'s contents into the existing `target`, with owners and modes (the server
    runs as its own user when the tests run as root)."""
    result = subprocess.run(
        ["cp", "-a", "--reflink=auto", f"{source}/.", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise OSError(f"copying {source} to {target} failed: {result.stderr.strip()}")


def empty(directory: Path) -> None:
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _remove_entry(entry: Path) -> bool:
    """Deletes `entry` unless a run is copying it."""
    with _flock(entry, fcntl.LOCK_EX, timeout=None) as locked:
        if locked:
            shutil.rmtree(entry, ignore_errors=True)
        return locked


def _evict(root: Path, keep: str) -> None:
    entries = [p for p in root.iterdir() if _ours(p) and not p.name.startswith(".")]
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in entries if p.name != keep][KEEP - 1 :]:
        _remove_entry(old)


def remove(name: str) -> None:
    """Deletes entry `name` (one that turned out damaged) unless a run is copying it."""
    _remove_entry(cache_dir() / name)


def remove_all() -> list[str]:
    """Deletes every entry (and abandoned builds) no run is copying; returns them."""
    root = cache_dir()
    if not root.is_dir():
        return []
    removed = []
    with _flock(root, fcntl.LOCK_EX, timeout=None) as locked:  # not while one builds
        if not locked:
            return []
        for entry in sorted(root.iterdir()):
            if _ours(entry) and _remove_entry(entry):
                removed.append(str(entry))
        with contextlib.suppress(OSError):
            root.rmdir()  # when nothing else is in it
            if root.parent.name == "talk-backend":
                root.parent.rmdir()
    return removed
