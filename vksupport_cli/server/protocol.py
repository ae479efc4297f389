"""uvicorn's HTTP protocol with TCP_NODELAY on every connection.

With --workers > 1 uvicorn binds the shared socket itself (proto 0), and
asyncio then leaves Nagle's algorithm on: every reply split in two writes
waits ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149). Setting the
option per connection removes that stall for any number of workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    # asyncio.Transport, as uvicorn's own signature (narrower than asyncio's BaseTransport)
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all: nothing to tune
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
