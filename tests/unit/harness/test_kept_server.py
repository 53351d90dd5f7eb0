"""The kept test server (tests/harness/postgres/reuse.py): on by default for a
developer's run and off for CI, Bazel and xdist workers; keyed by checkout; claimed by
one live run at a time (a real second process holds the claim here), and never
removed while a run has it."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from tests.child_process import start_python
from tests.harness.postgres import embedded, reuse

CLAIMER = """
import sys
from tests.harness.postgres import reuse
with reuse.start_lock():
    print("claimed" if reuse.claim(sys.argv[1]) else "refused", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("TALK_TEST_REUSE", "CI", "TEST_TMPDIR", "PYTEST_XDIST_WORKER"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_developers_run_keeps_its_server_and_ci_bazel_and_workers_do_not(clean_env):
    assert reuse.enabled()
    for name, value in (("CI", "true"), ("TEST_TMPDIR", "/x"), ("PYTEST_XDIST_WORKER", "gw0")):
        clean_env.setenv(name, value)
        assert not reuse.enabled(), name
        clean_env.setenv("TALK_TEST_REUSE", "1")
        assert reuse.enabled(), f"TALK_TEST_REUSE=1 with {name}"
        clean_env.delenv("TALK_TEST_REUSE")
        clean_env.delenv(name)
    clean_env.setenv("CI", "false")
    assert reuse.enabled()
    clean_env.setenv("TALK_TEST_REUSE", "0")
    assert not reuse.enabled()
    clean_env.setenv("TALK_TEST_REUSE", "sometimes")
    with pytest.raises(ValueError, match="TALK_TEST_REUSE must be 1 or 0, not 'sometimes'"):
        reuse.enabled()


def test_two_checkouts_never_share_a_kept_server(monkeypatch):
    mine = reuse.settings_key("embedded", "16")
    assert mine.startswith(reuse.checkout_key())
    monkeypatch.setattr(reuse, "CHECKOUT", Path("/elsewhere/talk-backend"))
    assert reuse.settings_key("embedded", "16")[:8] != mine[:8]


def test_a_bazel_test_and_a_plain_run_of_one_checkout_never_share_one(clean_env):
    """Found when `bazel test //tests/faults:...` failed on the kept server of a plain
    pytest run in the same checkout: the sandbox may not read its data directory."""
    plain = reuse.checkout_key()
    bazel = []
    for tmpdir in ("/x", "/y"):  # every Bazel test of the checkout: one key
        clean_env.setenv("TEST_TMPDIR", tmpdir)
        bazel.append(reuse.checkout_key())
    assert bazel[0] == bazel[1] != plain


def _claimer(key: str) -> tuple[subprocess.Popen[str], str]:
    return start_python(CLAIMER, key)


def test_a_claimed_server_is_refused_to_a_second_run_until_the_first_dies():
    key = f"test{uuid.uuid4().hex[:12]}"
    proc, line = _claimer(key)
    try:
        assert line == "claimed"
        with reuse.start_lock():
            assert not reuse.claim(key)
        assert reuse.in_use(key)
    finally:
        proc.kill()
        proc.wait()
    # Killed while holding it: the kernel dropped its lock, the next run takes it over.
    with reuse.start_lock():
        assert reuse.claim(key)
    try:
        assert reuse.in_use(key)
        second, line = _claimer(key)
        second.kill()
        second.wait()
        assert line == "refused"
    finally:
        reuse.release(key)
    assert not reuse.in_use(key)
    assert not list(reuse.liveness.runs_dir().glob(f"*{key}*"))  # nothing left behind


def test_the_stop_command_leaves_a_server_a_run_is_using():
    name = f"{embedded.KEPT_PREFIX}{reuse.checkout_key()}test{uuid.uuid4().hex[:8]}"
    pgdata = embedded.DATA_ROOT / name
    pgdata.mkdir()
    try:
        with reuse.start_lock():
            assert reuse.claim(name)
        try:
            assert embedded.remove_kept(name.removeprefix(embedded.KEPT_PREFIX)) == []
            assert pgdata.is_dir()
        finally:
            reuse.release(name)
        assert embedded.remove_kept(name.removeprefix(embedded.KEPT_PREFIX)) == [str(pgdata)]
        assert not pgdata.exists()
    finally:
        embedded.remove_kept(name.removeprefix(embedded.KEPT_PREFIX))
