"""A desk impostor for tests: a loopback HTTP server whose replies the test writes by hand.

It answers what a hostile or broken desk would: text holding terminal escape
sequences, a reply that trickles one byte at a time, a reply far too large.
Every server listens on 127.0.0.1 only and stops (with its threads) on exit.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: How long any one reply may go on, whatever it does: the impostor stops by itself.
MAX_REPLY_SECONDS = 120.0

Route = Callable[[BaseHTTPRequestHandler], None]


def json_reply(data: Any, status: int = 200) -> Route:
    body = json.dumps(data).encode()

    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return send


def trickle(interval: float, *, in_headers: bool = False) -> Route:
    """A reply that never finishes: one byte every ``interval`` seconds (in the headers or the body)."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        deadline = time.monotonic() + MAX_REPLY_SECONDS
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        if not in_headers:
            handler.wfile.write(b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[")
        handler.wfile.flush()
        while time.monotonic() < deadline and not handler.server.stopping.is_set():  # type: ignore[attr-defined]
            time.sleep(interval)
            try:
                handler.wfile.write(b"X" if in_headers else b" ")
                handler.wfile.flush()
            except OSError:
                return  # the client gave up: what we want

    return send


def endless(total: int, *, declared: bool = True) -> Route:
    """A JSON reply of ``total`` bytes, sent as fast as the client reads it."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if declared:
            handler.send_header("Content-Length", str(total))
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b" " * 65536
        handler.wfile.write(b"[")
        sent = 1
        try:
            while sent < total and not handler.server.stopping.is_set():  # type: ignore[attr-defined]
                piece = chunk[: total - sent]
                handler.wfile.write(piece)
                sent += len(piece)
        except OSError:
            return
        handler.server.sent_bytes = sent  # type: ignore[attr-defined]

    return send


class ImpostorDesk:
    """``with ImpostorDesk({("GET", "/api/v1/questions"): route}) as desk: desk.url``."""

    def __init__(self, routes: dict[tuple[str, str], Route]):
        self.routes = routes
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                path = self.path.split("?", 1)[0]
                outer.requests.append((self.command, path))
                route = outer.routes.get((self.command, path))
                if route is None:
                    json_reply({"error": {"code": "not_found", "message": "no", "details": {}}}, 404)(self)
                    return
                route(self)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.requests: list[tuple[str, str]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.stopping = threading.Event()  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ImpostorDesk:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.stopping.set()  # type: ignore[attr-defined]
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)
