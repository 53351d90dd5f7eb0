"""`talk-backend serve` as a child process: its output line by line, signals, and what
its embedded PostgreSQL left on the machine (data directory, processes, shared memory)."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from talk_backend.devtools import embedded_leftovers, embedded_server, liveness

REPO = Path(__file__).absolute().parents[2]


@dataclass
class EmbeddedDatabase:
    """What a run's embedded PostgreSQL occupies, read while it runs."""

    data_dir: Path
    postmaster: int | None = None
    segment: tuple[int, int] | None = None

    def leftovers(self) -> list[str]:
        found = []
        if self.data_dir.exists():
            found.append(f"data directory {self.data_dir}")
        if liveness.owner_file(self.data_dir).exists():
            found.append(f"owner file of {self.data_dir}")
        if self.postmaster and _cmdline_has(self.postmaster, str(self.data_dir)):
            found.append(f"postmaster {self.postmaster}")
        for pid in _postgres_of(self.data_dir):
            found.append(f"postgres process {pid}")
        if self.postmaster:
            found += [
                f"backend {pid} of {self.postmaster}"
                for pid in embedded_leftovers.children(self.postmaster)
            ]
        if self.segment and embedded_leftovers.attached_to(*self.segment) is not None:
            found.append(f"shared memory segment {self.segment}")
        return found


@dataclass
class Serve:
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @classmethod
    def start(cls, *args: str, prefix: tuple[str, ...] = (), **env: str) -> Serve:
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        child_env.pop("DATABASE__URL", None)
        child_env.update(env)
        proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "talk_backend.entrypoints.cli", "serve", *args],
            cwd=REPO,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        serve = cls(proc)
        threading.Thread(target=serve._read, daemon=True).start()
        return serve

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for_handlers(self, timeout: float = 30) -> None:
        """Until the process catches SIGTERM: cli.main has installed its handlers (before
        that, the interpreter itself is still starting and the default action applies)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status = Path(f"/proc/{self.proc.pid}/status").read_text()
            except OSError:
                break
            caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
            if int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
                return
            time.sleep(0.002)
        raise AssertionError("serve never installed its signal handlers:\n" + self.output())

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"serve ended before {text!r}:\n" + self.output())
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} within {timeout} s:\n" + self.output())

    def database(self, timeout: float = 15) -> EmbeddedDatabase | None:
        """This run's embedded database, found by what its owner file says (the serve
        process's pid as its own PID namespace numbers it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            owner = _owner_description(self.proc.pid)
            markers = (
                marker
                for root in embedded_server.data_roots()
                for marker in root.glob(f"talk-dev-pg-*{liveness.OWNER_SUFFIX}")
            )
            for marker in markers:
                try:
                    text = marker.read_text().strip()
                except OSError:
                    continue
                if owner is not None and text == owner:
                    suffix = liveness.OWNER_SUFFIX
                    return EmbeddedDatabase(marker.with_name(marker.name.removesuffix(suffix)))
            time.sleep(0.01)
        return None

    def signal(self, signum: int) -> None:
        os.kill(serve_pid(self.proc.pid) or self.proc.pid, signum)

    def finish(self, timeout: float = 10) -> int:
        code = self.proc.wait(timeout)
        while (line := self._queue.get(timeout=5)) is not None:
            self.lines.append(line)
        return code

    def output(self) -> str:
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return "\n".join(self.lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def read_postmaster(db: EmbeddedDatabase, timeout: float = 15) -> None:
    """Fills in the postmaster pid and shared-memory segment once PostgreSQL is ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            lines = (db.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            lines = []
        if len(lines) > 7 and lines[7].strip() == "ready":
            db.postmaster = int(lines[0])
            key, shmid = lines[6].split()
            db.segment = (int(key), int(shmid))
            return
        time.sleep(0.02)
    raise AssertionError(f"PostgreSQL in {db.data_dir} never became ready")


def serve_pid(pid: int) -> int | None:
    """The `serve` process: the one process unshare forked for it, or `pid` itself."""
    for candidate in [*embedded_leftovers.children(pid), pid]:
        with contextlib.suppress(OSError):
            if b"talk_backend.entrypoints.cli" in Path(f"/proc/{candidate}/cmdline").read_bytes():
                return candidate
    return None


def _owner_description(pid: int) -> str | None:
    """What the owner file of `serve` says: its pid and PID namespace as seen from
    inside that namespace."""
    found = serve_pid(pid)
    try:
        status = Path(f"/proc/{found}/status").read_text()
        namespace = os.readlink(f"/proc/{found}/ns/pid")
    except OSError:
        return None
    nspid = next(line for line in status.splitlines() if line.startswith("NSpid:"))
    return f"pid {nspid.split()[-1]} in {namespace}"


def shared_memory_files(data_dir: Path) -> list[Path]:
    """The POSIX shared memory files the PostgreSQL of `data_dir` has mapped: its
    postmaster's and its backends' (only they map the 1 MB segments of its statistics,
    which a killed server leaves in /dev/shm too)."""
    postmasters = _postgres_of(data_dir)
    pids = [*postmasters, *(c for p in postmasters for c in embedded_leftovers.children(p))]
    return sorted(embedded_leftovers.shared_memory_of(pids)[0])


def _cmdline_has(pid: int, text: str) -> bool:
    try:
        return os.fsencode(text) in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False


def _postgres_of(data_dir: Path) -> list[int]:
    return [
        int(proc.name)
        for proc in Path("/proc").glob("[0-9]*")
        if _cmdline_has(int(proc.name), str(data_dir))
    ]


def stop_quietly(serve: Serve) -> None:
    if serve.proc.poll() is None:
        serve.signal(signal.SIGTERM)
        try:
            serve.proc.wait(15)
        except subprocess.TimeoutExpired:
            serve.kill()
