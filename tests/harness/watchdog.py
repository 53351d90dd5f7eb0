"""A hung PostgreSQL fails the test instead of hanging the run.

asyncpg's `command_timeout` arms a timer around every statement. One timer per test
does the same job for a fraction of the cost: when a test has not finished within
TALK_TEST_DB_TIMEOUT seconds (default 60), its database connections are aborted, so
the statement it waits on raises at once, and the env's teardown names the cause.
A server-side statement_timeout would not do: a stopped or unreachable server never
runs the statement to time it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from typing import Any

TIMEOUT_S = float(os.environ.get("TALK_TEST_DB_TIMEOUT", "60"))


class DatabaseTimeout(AssertionError):
    pass


class Watchdog:
    def __init__(self, connections: Iterable[Any], timeout: float = TIMEOUT_S) -> None:
        """`connections`: asyncpg connections (a live view is fine: read on firing)."""
        self._connections = connections
        self._timeout = timeout
        self.fired = False
        self._handle = asyncio.get_running_loop().call_later(timeout, self._fire)

    def _fire(self) -> None:
        self.fired = True
        for connection in list(self._connections):
            connection.terminate()

    def disarm(self) -> None:
        """Stops the timer; raises if it had fired (the test's failure then says why)."""
        self._handle.cancel()
        if self.fired:
            raise DatabaseTimeout(
                f"PostgreSQL did not answer within {self._timeout:g} s "
                "(TALK_TEST_DB_TIMEOUT): the harness aborted the test's connections"
            )
