"""Raw bytes to a real server, for what a client library will not send (conflicting
framing, half a request, a stalled body), and what came back until the server closed."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass


@dataclass
class Exchange:
    received: bytes
    closed: bool  # the server closed the connection (EOF or reset)
    seconds: float  # from the connection's opening until it closed or the wait ended

    @property
    def statuses(self) -> list[int]:
        """The status of each response (a body ends right before the next status line)."""
        return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", self.received)]


async def exchange(
    port: int, *parts: bytes, pause: float = 0.0, wait: float = 5.0, host: str = "127.0.0.1"
) -> Exchange:
    """Sends `parts` (with `pause` seconds between them, stopping if the server closes),
    then reads until the server closes or `wait` seconds pass."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    received = b""
    try:
        for index, part in enumerate(parts):
            if index and pause:
                with contextlib.suppress(TimeoutError):
                    received += await asyncio.wait_for(reader.read(65536), timeout=pause)
                if reader.at_eof():
                    return Exchange(received, True, time.monotonic() - started)
            try:
                writer.write(part)
                await writer.drain()
            except ConnectionError:
                return Exchange(received, True, time.monotonic() - started)
        deadline = started + wait + pause * len(parts)
        while (left := deadline - time.monotonic()) > 0:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), timeout=left)
            except TimeoutError:
                break
            except ConnectionError:
                return Exchange(received, True, time.monotonic() - started)
            if not chunk:
                return Exchange(received, True, time.monotonic() - started)
            received += chunk
        return Exchange(received, False, time.monotonic() - started)
    finally:
        writer.close()
