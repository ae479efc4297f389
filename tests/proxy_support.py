"""A loopback TCP proxy that counts the HTTP requests passing through it (what a client really sends)."""

from __future__ import annotations

import contextlib
import re
import socket
import threading

REQUEST_LINE = re.compile(rb"(GET|POST|PATCH|PUT|DELETE|HEAD) (\S+) HTTP/1\.[01]\r\n")


class CountingProxy:
    """``with CountingProxy(port) as proxy: proxy.url``; ``proxy.requests`` lists "METHOD target" seen."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._sockets: list[socket.socket] = []
        self._closed = False

    def __enter__(self) -> CountingProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def count(self, fragment: str = "") -> int:
        with self._lock:
            return sum(fragment in line for line in self.requests)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, requests: bool) -> None:
        pending = b""
        try:
            while chunk := source.recv(65536):
                if requests:
                    pending += chunk
                    end = 0
                    for match in REQUEST_LINE.finditer(pending):
                        with self._lock:
                            self.requests.append(f"{match[1].decode()} {match[2].decode()}")
                        end = match.end()
                    pending = pending[end:][-256:]  # a request line split across two reads
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
