"""uvicorn's HTTP protocol, with TCP_NODELAY and deadlines for slow clients.

TCP_NODELAY: with --workers > 1 uvicorn binds the shared socket itself (proto
0), and asyncio then leaves Nagle's algorithm on: every reply split in two
writes waits ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149).
Setting the option per connection removes that stall for any number of workers.

Deadlines: uvicorn times out an idle keep-alive connection, but nothing bounds
how long a client may take to send a request's headers or its body (a
slowloris client sending a byte every few seconds keeps its connection, and a
task, forever). Each connection here gets ``header_timeout`` seconds from its
first byte (or from connecting) to the end of a request's headers, and
``body_timeout`` seconds from there to the end of the body; past either, the
server answers 408 if it still can and closes the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_ENV = "VKSUPPORT_HEADER_TIMEOUT"
BODY_TIMEOUT_ENV = "VKSUPPORT_BODY_TIMEOUT"
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 60.0

_TIMED_OUT_BODY = (
    b'{"error":{"code":"invalid","message":"The request took too long to arrive.","details":{}}}'
)
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: " + str(len(_TIMED_OUT_BODY)).encode() + b"\r\n\r\n" + _TIMED_OUT_BODY
)


def _seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


class NoDelayH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = _seconds(HEADER_TIMEOUT_ENV, DEFAULT_HEADER_TIMEOUT)
        self.body_timeout = _seconds(BODY_TIMEOUT_ENV, DEFAULT_BODY_TIMEOUT)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None  # "headers", "body" or None

    # asyncio.Transport, as uvicorn's own signature (narrower than asyncio's BaseTransport)
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all: nothing to tune
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._arm("headers")  # a connection that never sends a byte is dropped too

    def data_received(self, data: bytes) -> None:
        if self._waiting_for is None and self.conn.their_state is h11.IDLE:
            self._arm("headers")  # the first byte of the next request on a kept-alive connection
        super().data_received(data)
        self._follow()

    def handle_events(self) -> None:
        super().handle_events()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Move the deadline along with the request: headers, then body, then none."""
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if self._waiting_for != "body":
                self._arm("body")
        elif state is not h11.IDLE and self._waiting_for is not None:
            self._disarm()  # the request has fully arrived (or the connection is ending)

    def _arm(self, phase: str) -> None:
        self._disarm()
        seconds = self.header_timeout if phase == "headers" else self.body_timeout
        self._waiting_for = phase
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._waiting_for = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        responding = self.cycle is not None and self.cycle.response_started
        if not responding:
            with contextlib.suppress(OSError, RuntimeError):
                self.transport.write(_TIMED_OUT)
        self.transport.close()  # the app's pending read of the body sees a disconnect
