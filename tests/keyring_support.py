"""A real, private Secret Service for tests: its own D-Bus session bus and gnome-keyring-daemon.

Nothing is faked: python-keyring talks to gnome-keyring over D-Bus, exactly as
on a desktop, but everything lives in a temporary folder and dies with the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REQUIRE_ENV = "VKSUPPORT_REQUIRE_REAL_KEYRING"
TOOLS = ("dbus-daemon", "dbus-send", "gnome-keyring-daemon")


def require_secret_service() -> None:
    """Skip (or fail, where CI demands the real thing) when the tools are missing."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = (
            f"REAL-KEYRING TESTS DID NOT RUN: {', '.join(missing)} not installed "
            "(apt-get install gnome-keyring dbus; .ci/run does)"
        )
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(message)
        pytest.skip(message)


class SecretService:
    def __init__(self, root: Path, *, password: str | None = "correct horse"):
        self.root = root
        self.password = password  # None: start without --unlock (the daemon cannot prompt)
        self.env: dict[str, str] = {}
        self._bus = self._daemon = None

    def start(self) -> SecretService:
        runtime = self.root / "run"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        base = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS")
        }
        base.update(HOME=str(self.root), XDG_DATA_HOME=str(self.root / "data"), XDG_RUNTIME_DIR=str(runtime))
        self._bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=base,
        )
        self.env = {**base, "DBUS_SESSION_BUS_ADDRESS": self._bus.stdout.readline().strip()}
        args = ["gnome-keyring-daemon", "--foreground", "--components=secrets"]
        if self.password is not None:
            args.append("--unlock")
        self._daemon = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env
        )
        if self.password is not None:
            self._daemon.stdin.write(self.password.encode())
        self._daemon.stdin.close()
        self._wait_for_service()
        return self

    def _wait_for_service(self) -> None:
        query = [
            "dbus-send",
            "--session",
            "--dest=org.freedesktop.DBus",
            "--print-reply",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            reply = subprocess.run(query, env=self.env, capture_output=True, text=True)
            if "boolean true" in reply.stdout:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("gnome-keyring-daemon did not register the Secret Service within 15 s")

    def stop(self) -> None:
        for process in (self._daemon, self._bus):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self._bus is not None and self._bus.stdout:
            self._bus.stdout.close()

    def keyring(self, code: str) -> str:
        """Run python-keyring's own API against this service; returns stdout."""
        done = subprocess.run(
            [sys.executable, "-c", "import keyring\n" + code],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(
                done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "keyring failed"
            )
        return done.stdout.strip()

    def __enter__(self) -> SecretService:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
