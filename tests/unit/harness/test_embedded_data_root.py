"""Where the embedded server's data goes: tmpfs only when it has room for the run."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from talk_backend.devtools import embedded_server
from talk_backend.devtools.embedded_server import MB, data_root, free_bytes


def test_tmpfs_with_room_is_used_and_the_line_says_so(tmp_path):
    root = data_root(1 * MB, tmpfs=tmp_path)
    assert root.path == tmp_path and root.on_tmpfs
    assert root.line.startswith(f"embedded PostgreSQL data on tmpfs {tmp_path} (")
    assert "needs about 1 MB" in root.line


def test_tmpfs_without_room_sends_the_data_to_disk_and_says_why(tmp_path):
    need = free_bytes(tmp_path) + 512 * MB  # more than it has, measured, not mocked
    root = data_root(need, tmpfs=tmp_path)
    assert root.path == Path(tempfile.gettempdir()) and not root.on_tmpfs
    assert root.line.startswith(f"embedded PostgreSQL data on disk in {root.path} (")
    assert f"{tmp_path} has " in root.line and f"needs about {need // MB} MB" in root.line


def test_missing_tmpfs_sends_the_data_to_disk(tmp_path):
    root = data_root(1 * MB, tmpfs=tmp_path / "absent")
    assert not root.on_tmpfs and "is not writable" in root.line


def test_the_run_needs_more_than_a_small_dev_shm_holds(monkeypatch):
    from tests.harness.postgres import embedded

    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    one = embedded.run_needs_bytes()
    assert one > 64 * MB  # a plain `docker run` /dev/shm (64 MB) was measured to fill up
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")
    assert embedded.run_needs_bytes() > one  # workers share one server, more clones


@pytest.mark.parametrize("value", ["15", "abc", "17"])
def test_an_unsupported_major_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("TALK_EMBEDDED_POSTGRES_MAJOR", value)
    with pytest.raises(embedded_server.EmbeddedPostgresError, match="must be 16 or 18"):
        embedded_server.major()


def test_the_default_major_is_16_and_18_is_selectable(monkeypatch):
    monkeypatch.delenv("TALK_EMBEDDED_POSTGRES_MAJOR", raising=False)
    assert embedded_server.major() == 16
    monkeypatch.setenv("TALK_EMBEDDED_POSTGRES_MAJOR", "18")
    assert embedded_server.major() == 18
