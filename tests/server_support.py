"""A real desk server for tests: `vksupport desk serve` in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DeskServer:
    """Start with ``with DeskServer(db) as server: server.url``; stops (and reaps) on exit."""

    def __init__(
        self,
        db: Path,
        *,
        workers: int = 1,
        rate_limit: float = 0,
        port: int | None = None,
        options: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ):
        self.db = db
        self.workers = workers
        self.rate_limit = rate_limit
        self.options = options
        self.env = env or {}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> DeskServer:
        args = [
            sys.executable,
            "-m",
            "vksupport_cli",
            "desk",
            "serve",
            "--db",
            str(self.db),
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--rate-limit",
            str(self.rate_limit),
            *self.options,
        ]
        self.process = subprocess.Popen(
            args, env={**os.environ, **self.env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"desk serve exited: {self.process.stderr.read().decode()}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("desk serve did not come up within 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()

    def __enter__(self) -> DeskServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Alternating:
    """A client that sends each call to the next of several clients in turn (nodes behind a balancer)."""

    def __init__(self, *clients):
        self.clients = clients
        self.turn = 0

    def __getattr__(self, name):
        if name == "close":
            return lambda: [client.close() for client in self.clients]

        def call(*args, **kwargs):
            client = self.clients[self.turn % len(self.clients)]
            self.turn += 1
            return getattr(client, name)(*args, **kwargs)

        return call
