"""The hostile-load attacks of issue 12, for the test suite and bench/hostile_load.py.

Every attack talks to 127.0.0.1 only and stops by itself: bounded in
connections, bytes and seconds.
"""

from __future__ import annotations

import http.client
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

MiB = 1024 * 1024


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM) so far, in MiB, from /proc."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")


@dataclass
class UploadOutcome:
    status: int | None = None  # the HTTP status the server answered, None if it only closed
    sent: int = 0  # bytes of body the client got to send
    error: str | None = None


def oversized_upload(port: int, path: str, token: str, size: int, *, declared: bool) -> UploadOutcome:
    """POST ``size`` bytes (a JSON-looking or PNG-looking body) as fast as the server takes them."""
    outcome = UploadOutcome()
    length = f"Content-Length: {size}\r\n" if declared else "Transfer-Encoding: chunked\r\n"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/octet-stream\r\n{length}\r\n"
    ).encode()
    piece = b"\x89PNG\r\n\x1a\n" + b"A" * (64 * 1024 - 8)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(head)
            try:
                while outcome.sent < size:
                    chunk = piece[: size - outcome.sent]
                    sock.sendall(chunk if declared else b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    outcome.sent += len(chunk)
                if not declared:
                    sock.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the server cut the body off: expected
            reply = b""
            try:
                while data := sock.recv(65536):
                    reply += data
                    if b"\r\n\r\n" in reply:
                        break
            except OSError:
                pass
            if reply.startswith(b"HTTP/1.1 "):
                outcome.status = int(reply.split(b" ", 2)[1])
    except OSError as exc:
        outcome.error = f"{exc.__class__.__name__}: {exc}"
    return outcome


def memory_attack(port: int, targets: list[tuple[str, str]], size: int = 60 * MiB) -> list[UploadOutcome]:
    """One thread per (path, token): all upload ``size`` bytes at once, half declared, half chunked."""
    outcomes: list[UploadOutcome] = [UploadOutcome() for _ in targets]

    def run(index: int, path: str, token: str) -> None:
        outcomes[index] = oversized_upload(port, path, token, size, declared=index % 2 == 0)

    threads = [
        threading.Thread(target=run, args=(n, path, token), daemon=True)
        for n, (path, token) in enumerate(targets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return outcomes


@dataclass
class Slowloris:
    """``connections`` sockets each sending one header byte every ``interval`` s; reconnects when cut."""

    port: int
    connections: int = 200
    interval: float = 2.0
    stop: threading.Event = field(default_factory=threading.Event)
    opened: int = 0  # connections opened in all (a cut one is opened again)
    cut: int = 0  # connections the server closed
    _thread: threading.Thread | None = None

    def _open(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sock.setblocking(False)
            self.opened += 1
            return sock
        except OSError:
            return None

    def _run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        socks = [self._open() for _ in range(self.connections)]
        try:
            while not self.stop.is_set() and time.monotonic() < deadline:
                for n, sock in enumerate(socks):
                    if sock is None:
                        socks[n] = self._open()
                        continue
                    try:
                        if sock.recv(4096) == b"":
                            raise ConnectionResetError
                    except BlockingIOError:
                        pass  # still open, nothing said: the usual case
                    except OSError:
                        self.cut += 1
                        sock.close()
                        socks[n] = self._open()
                        continue
                    try:
                        sock.send(b"X")
                    except OSError:
                        self.cut += 1
                        sock.close()
                        socks[n] = self._open()
                self.stop.wait(self.interval)
        finally:
            for sock in socks:
                if sock is not None:
                    sock.close()

    def start(self, seconds: float) -> Slowloris:
        self._thread = threading.Thread(target=self._run, args=(seconds,), daemon=True)
        self._thread.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)


def request_latencies(
    port: int, path: str, token: str, count: int, pause: float = 0.05
) -> tuple[list[float], list[int]]:
    """``count`` sequential GETs of ``path`` on fresh connections: (seconds each, statuses)."""
    seconds, statuses = [], []
    for _ in range(count):
        start = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            reply = connection.getresponse()
            reply.read()
            statuses.append(reply.status)
            connection.close()
        except OSError:
            statuses.append(0)
        seconds.append(time.perf_counter() - start)
        time.sleep(pause)
    return seconds, statuses


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000
