"""The cache of migrated data directories (tests/harness/postgres/datadir_cache.py),
without a server: when it is used, that an entry appears whole or not at all, that a
half-built or foreign entry is ignored, that it stays bounded, and that removal spares
an entry a run is copying (a real second process holds the lock here). The server side
(a cold run builds, the next copies, a changed migration rebuilds, a damaged entry is
replaced) is tests/faults/test_datadir_cache.py."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from tests.child_process import start_python
from tests.harness.postgres import datadir_cache

NAME = datadir_cache.key(16, "1.0", "0123456789abcdef", "fsync=off")


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    for name in (datadir_cache.VARIABLE, "CI", "TEST_TMPDIR"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "cache"
    monkeypatch.setenv(datadir_cache.DIR_VARIABLE, str(root))
    return root


def _make(pgdata: Path) -> None:
    """Stands in for initdb + migrations: a data directory's marker and a few files, and
    the runtime files a stopped server leaves (which the entry must not keep)."""
    (pgdata / "PG_VERSION").write_text("16\n")
    (pgdata / "base").mkdir()
    (pgdata / "base" / "1").write_bytes(b"x" * 1000)
    (pgdata / "log").write_text("server log")
    (pgdata / ".handle_pids.json").write_text("[1]")


def test_used_by_a_developers_run_not_by_ci_or_bazel(cache, monkeypatch):
    assert datadir_cache.enabled()
    for name, value in (("CI", "true"), ("TEST_TMPDIR", "/x")):
        monkeypatch.setenv(name, value)
        assert not datadir_cache.enabled(), name
        monkeypatch.setenv(datadir_cache.VARIABLE, "1")
        assert datadir_cache.enabled(), f"{datadir_cache.VARIABLE}=1 with {name}"
        monkeypatch.delenv(datadir_cache.VARIABLE)
        monkeypatch.delenv(name)
    monkeypatch.setenv(datadir_cache.VARIABLE, "0")
    assert not datadir_cache.enabled()
    monkeypatch.setenv(datadir_cache.VARIABLE, "maybe")
    with pytest.raises(ValueError, match="TALK_TEST_PGDATA_CACHE must be 1 or 0, not 'maybe'"):
        datadir_cache.enabled()


def test_where_it_lives(monkeypatch):
    monkeypatch.delenv(datadir_cache.DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert datadir_cache.cache_dir() == Path("/somewhere/cache/talk-backend/pgdata")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert datadir_cache.cache_dir() == Path.home() / ".cache/talk-backend/pgdata"


def test_the_key_changes_with_each_part():
    keys = {
        datadir_cache.key(16, "1.0", "0123456789abcdef", "fsync=off"),
        datadir_cache.key(18, "1.0", "0123456789abcdef", "fsync=off"),
        datadir_cache.key(16, "1.1", "0123456789abcdef", "fsync=off"),
        datadir_cache.key(16, "1.0", "fedcba9876543210", "fsync=off"),
        datadir_cache.key(16, "1.0", "0123456789abcdef", "fsync=on"),
    }
    assert len(keys) == 5


def test_built_once_then_copied_without_runtime_files(cache, tmp_path):
    first = tmp_path / "first"
    first.mkdir()
    assert datadir_cache.build(NAME, _make, first)
    assert sorted(p.name for p in cache.iterdir()) == [NAME]
    entry = cache / NAME
    assert (entry / datadir_cache.COMPLETE).read_text().strip() == NAME
    assert not (entry / "log").exists() and not (entry / ".handle_pids.json").exists()
    second = tmp_path / "second"
    second.mkdir()
    assert not datadir_cache.build(NAME, _make, second)  # a complete entry: not rebuilt
    assert list(second.iterdir()) == []
    assert datadir_cache.copy_into(NAME, second)
    assert sorted(p.name for p in second.iterdir()) == ["PG_VERSION", "base"]
    assert (second / "base" / "1").read_bytes() == b"x" * 1000
    # A copy, not a link: the server writes its files in place.
    assert (second / "base" / "1").stat().st_ino != (entry / "base" / "1").stat().st_ino
    assert (second / "base" / "1").stat().st_nlink == 1


def test_a_failed_build_leaves_nothing(cache, tmp_path):
    def broken(pgdata: Path) -> None:
        (pgdata / "PG_VERSION").write_text("16\n")
        raise RuntimeError("migration 0999 failed")

    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    with pytest.raises(RuntimeError, match="0999"):
        datadir_cache.build(NAME, broken, pgdata)
    assert list(cache.iterdir()) == []
    assert not datadir_cache.copy_into(NAME, tmp_path)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda entry: (entry / datadir_cache.COMPLETE).unlink(), id="half-built"),
        pytest.param(lambda entry: (entry / datadir_cache.COMPLETE).write_text("x"), id="foreign"),
        pytest.param(lambda entry: (entry / "PG_VERSION").unlink(), id="no-PG_VERSION"),
    ],
)
def test_a_half_built_or_damaged_entry_is_ignored_and_replaced(cache, tmp_path, damage):
    made = tmp_path / "made"
    made.mkdir()
    datadir_cache.build(NAME, _make, made)
    damage(cache / NAME)
    (cache / f"{datadir_cache.BUILD_PREFIX}{NAME}-deadbeef").mkdir()  # its process died
    target = tmp_path / "target"
    target.mkdir()
    assert not datadir_cache.copy_into(NAME, target)
    assert list(target.iterdir()) == []
    rebuilt = tmp_path / "rebuilt"
    rebuilt.mkdir()
    assert datadir_cache.build(NAME, _make, rebuilt)
    assert sorted(p.name for p in cache.iterdir()) == [NAME]
    assert datadir_cache.copy_into(NAME, target)


def test_bounded_to_the_most_recently_used(cache, tmp_path):
    names = [datadir_cache.key(16, "1.0", f"{n:016x}", "s") for n in range(5)]
    for n, name in enumerate(names):
        pgdata = tmp_path / f"p{n}"
        pgdata.mkdir()
        datadir_cache.build(name, _make, pgdata)
        os.utime(cache / name, (1000 + n, 1000 + n))
    assert sorted(p.name for p in cache.iterdir()) == sorted(names[-datadir_cache.KEEP :])


COPIER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_SH)  # what copy_into holds while it copies
print("copying", flush=True)
sys.stdin.read()
"""


def test_removal_spares_an_entry_being_copied_and_removes_the_rest(cache, tmp_path):
    other = datadir_cache.key(16, "1.0", "f" * 16, "s")
    for name in (NAME, other):
        pgdata = tmp_path / name
        pgdata.mkdir()
        datadir_cache.build(name, _make, pgdata)
    copier, said = start_python(COPIER, str(cache / NAME))
    try:
        assert said == "copying"
        assert datadir_cache.remove_all() == [str(cache / other)]
        target = tmp_path / "target"
        target.mkdir()
        assert datadir_cache.copy_into(NAME, target)
    finally:
        copier.communicate(input="")
    assert copier.returncode == 0
    assert datadir_cache.remove_all() == [str(cache / NAME)]
    assert not cache.exists()


def test_nothing_but_entries_is_ever_deleted(cache, tmp_path):
    """The cache directory may be one a developer chose: their files stay."""
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    datadir_cache.build(NAME, _make, pgdata)
    (cache / "notes").mkdir()
    (cache / "pg-not-an-entry").mkdir()
    (cache / "notes.txt").write_text("mine")
    assert datadir_cache.remove_all() == [str(cache / NAME)]
    assert sorted(p.name for p in cache.iterdir()) == ["notes", "notes.txt", "pg-not-an-entry"]


def test_a_copy_that_fails_leaves_the_target_empty(cache, tmp_path, monkeypatch):
    made = tmp_path / "made"
    made.mkdir()
    datadir_cache.build(NAME, _make, made)
    target = tmp_path / "target"
    target.mkdir()
    real_run = subprocess.run

    def cp_fails_halfway(args, **kwargs):
        (target / "PG_VERSION").write_text("16\n")
        return real_run(["false"], **kwargs)

    monkeypatch.setattr(datadir_cache.subprocess, "run", cp_fails_halfway)
    with pytest.raises(OSError, match=r"copying .* failed"):
        datadir_cache.copy_into(NAME, target)
    assert list(target.iterdir()) == []


BUILDER = """
import fcntl, os, sys
from pathlib import Path
root, name = Path(sys.argv[1]), sys.argv[2]
fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)  # what build holds while it builds
print("building", flush=True)
sys.stdin.readline()
entry = root / name
entry.mkdir()
(entry / "PG_VERSION").write_text("16\\n")
(entry / "TALK_CACHE_COMPLETE").write_text(name + "\\n")
"""


def test_a_concurrent_build_waits_for_the_running_one_and_builds_nothing(cache, tmp_path):
    cache.mkdir(parents=True)
    builder, said = start_python(BUILDER, str(cache), NAME)
    made: list[Path] = []
    result: list[bool] = []
    try:
        assert said == "building"
        pgdata = tmp_path / "pgdata"
        pgdata.mkdir()
        waiting = threading.Thread(
            target=lambda: result.append(datadir_cache.build(NAME, made.append, pgdata))
        )
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive(), "build did not wait for the build in progress"
    finally:
        builder.communicate(input="go\n")
    waiting.join(10)
    assert result == [False] and made == []
    assert sorted(p.name for p in cache.iterdir()) == [NAME]


def test_stopping_kept_servers_keeps_the_cache_and_clear_cache_removes_it(
    cache, tmp_path, monkeypatch, capsys
):
    """`make test-servers-stop` is per checkout, the cache is shared by the user's
    checkouts: only `make test-cache-clear` empties it."""
    from tests.harness.postgres import reuse

    monkeypatch.setattr(reuse, "stop_kept", lambda every_checkout=False: [])
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    datadir_cache.build(NAME, _make, pgdata)

    assert reuse.main(["stop"]) == 0
    assert (cache / NAME).is_dir()
    assert reuse.main(["clear-cache"]) == 0
    assert not (cache / NAME).exists()
    assert reuse.main(["clear-cache"]) == 0
    assert reuse.main(["clear"]) == 2
    said = capsys.readouterr()
    assert f"removed the cached data directory {cache / NAME}" in said.out
    assert "no cached data directory to remove" in said.out
    assert "usage:" in said.err
