"""A PostgreSQL of a test's own, from the project's embedded wrapper, that the test
may restart or stop: found through the running server (its data directory, its
postmaster's binary and log), not through the package that started it."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

_BINDIR = "SELECT setting FROM pg_config WHERE name = 'BINDIR'"


@dataclass(frozen=True)
class LocalPostgres:
    url: str
    data_dir: Path
    bin_dir: Path
    owner: int
    log_file: Path

    @classmethod
    async def of(cls, url: str) -> LocalPostgres:
        conn = await asyncpg.connect(**connect_kwargs(url))
        try:
            data_dir = Path(await conn.fetchval("SELECT current_setting('data_directory')"))
            bin_dir = Path(await conn.fetchval(_BINDIR))
        finally:
            await conn.close()
        return cls.running_in(url, data_dir, bin_dir)

    @classmethod
    def running_in(cls, url: str, data_dir: Path, bin_dir: Path) -> LocalPostgres:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        log = _stderr_file(pid)
        server = cls(
            url=url,
            data_dir=data_dir,
            bin_dir=bin_dir,
            owner=data_dir.stat().st_uid,
            log_file=log or data_dir / "restarted.log",
        )
        if log is None:
            # Only a process with ptrace rights over the postmaster can see where it
            # logs (a container without CAP_SYS_PTRACE cannot): restart it with a log
            # file of ours, same options, socket and port.
            server.restart()
        return server

    def pg_ctl(self, *args: str) -> None:
        # PostgreSQL refuses to run as root: act as the data directory's owner.
        user = self.owner if os.geteuid() == 0 and self.owner != 0 else None
        command = [str(self.bin_dir / "pg_ctl"), *args, "-D", str(self.data_dir), "-w"]
        subprocess.run(command, user=user, check=True, capture_output=True, timeout=60)

    def restart(self) -> None:
        """A fast shutdown (every backend ends its connections) and a start with the
        same options, socket and port."""
        self.pg_ctl("restart", "-m", "fast", "-l", str(self.log_file))

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")

    def log_size(self) -> int:
        return self.log_file.stat().st_size

    def statements_since(self, offset: int) -> list[str]:
        """Statements the server logged (log_statement = 'all') after `offset`."""
        with self.log_file.open("rb") as log:
            log.seek(offset)
            lines = log.read().decode(errors="replace").splitlines()
        found = []
        for line in lines:
            for marker in ("LOG:  statement: ", "LOG:  execute "):
                if marker in line:
                    found.append(line.split(marker, 1)[1])
        return found


def _stderr_file(pid: int) -> Path | None:
    try:
        log = Path(os.readlink(f"/proc/{pid}/fd/2"))
    except PermissionError:
        return None
    return log if log.is_file() else None


def connect_kwargs(url: str) -> dict[str, str]:
    parsed = make_url(url)
    kwargs = {"user": parsed.username or "postgres", "database": parsed.database or "postgres"}
    kwargs["host"] = str(parsed.query.get("host") or parsed.host)
    if parsed.port:
        kwargs["port"] = str(parsed.port)
    return kwargs
