"""The CLI in a real pseudo-terminal: prompts, the pager, Ctrl-C, as a person meets them.

``Terminal`` starts ``python -m vksupport_cli ARGS`` with a pty as its controlling terminal
(stdin, stdout and stderr), waits for given text before typing (expect-style, never
sleeps for timing) and collects everything the program wrote.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\r")


class Terminal:
    def __init__(self, *args: str, env: dict[str, str] | None = None, rows: int = 24, cols: int = 100):
        environ = {**os.environ, "TERM": "xterm", "COLUMNS": str(cols), "LINES": str(rows), **(env or {})}
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its controlling terminal
            try:
                os.execve(sys.executable, [sys.executable, "-m", "vksupport_cli", *args], environ)  # noqa: S606
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.raw = b""
        self.seen = 0  # how much of ``text`` earlier expects have matched past
        self.code: int | None = None

    @property
    def text(self) -> str:
        """Everything shown so far, without escape sequences and carriage returns."""
        return ANSI.sub("", self.raw.decode("utf-8", "replace"))

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        self.raw += chunk
        return True

    def expect(self, text: str, timeout: float = 60) -> str:
        """Wait until ``text`` is shown after what earlier expects matched; returns the screen text."""
        deadline = time.monotonic() + timeout
        while text not in self.text[self.seen :]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the terminal shows:\n{self.text[-3000:]}")
            if not self._read(0.2) and text not in self.text[self.seen :]:
                raise AssertionError(
                    f"the program ended before showing {text!r}; it showed:\n{self.text[-3000:]}"
                )
        screen = self.text
        self.seen = screen.index(text, self.seen) + len(text)
        return screen

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def line(self, text: str) -> None:
        self.send(text + "\r")

    def interrupt(self) -> None:
        """Ctrl-C as a keyboard sends it: the terminal signals the foreground process group."""
        self.send("\x03")

    def wait(self, timeout: float = 60) -> int:
        """Read to the end and reap the program; its exit code (128+N for a signal)."""
        deadline = time.monotonic() + timeout
        while self._read(0.2):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                break
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.code = os.waitstatus_to_exitcode(status)
        if self.code < 0:
            self.code = 128 - self.code
        return self.code

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc) -> None:
        if self.code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.wait(timeout=10)
