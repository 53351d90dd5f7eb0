"""uvicorn's h11 protocol with time limits on reading a request and a cap on connections.

uvicorn bounds the idle time between requests of a kept-alive connection
(timeout_keep_alive) but not reading one: a client that sends half its headers, one
byte now and then, or half a declared body holds the connection and its memory for as
long as it likes (slowloris). Here:
- the headers must be complete `header_timeout` after the connection opens, or after the
  first byte of a kept-alive connection's next request: otherwise 408 and close (just
  close when nothing was sent);
- the body must be complete `body_timeout` after the headers: otherwise 408 when no
  answer has started, and close; the app's next receive() says the client left;
- past `max_connections` open connections a new one gets 503 and is closed at once.
The deadlines are absolute: data trickling in does not extend them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

_CLOSE = b"connection: close\r\ncontent-length: 0\r\n\r\n"
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\n" + _CLOSE
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\n" + _CLOSE


@dataclass(frozen=True, slots=True)
class ReadLimits:
    header_timeout: float
    body_timeout: float
    max_connections: int


class LimitedH11Protocol(H11Protocol):
    limits: ClassVar[ReadLimits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None  # "headers", "body" or None
        self._requests = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.write(BUSY)
            transport.close()
            return
        self._arm("headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        self._follow_request()

    def on_response_complete(self) -> None:
        self._requests += 1
        super().on_response_complete()
        self._follow_request()

    def _follow_request(self) -> None:
        """Arms the deadline that matches what the connection is waiting for."""
        if self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            # Between requests uvicorn's keep-alive timer rules until a byte arrives.
            started = self._requests == 0 or bool(self.conn.trailing_data[0])
            self._arm("headers") if started else self._disarm()
        elif state is h11.SEND_BODY:
            self._arm("body")
        else:
            self._disarm()

    def _arm(self, what: str) -> None:
        if self._waiting_for == what:
            return  # absolute deadline: later bytes do not extend it
        self._disarm()
        seconds = self.limits.header_timeout if what == "headers" else self.limits.body_timeout
        self._deadline = self.loop.call_later(seconds, self._timed_out)
        self._waiting_for = what

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._waiting_for = None

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._waiting_for == "headers":
            if self.conn.trailing_data[0]:
                self.transport.write(TIMED_OUT)
        elif self.cycle is not None and not self.cycle.response_started:
            self.cycle.disconnected = True  # the app's own answer is dropped
            self.transport.write(TIMED_OUT)
        self._waiting_for = None
        self.transport.close()


def limited_protocol(limits: ReadLimits) -> type[H11Protocol]:
    """A protocol class for uvicorn.Config(http=...), carrying these limits."""
    return type("LimitedH11Protocol", (LimitedH11Protocol,), {"limits": limits})
