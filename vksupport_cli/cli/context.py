"""What every command is handed: streams and terminal facts, settings, the desk client.

Like the GitHub CLI's Factory, it builds the expensive parts (the client, rich's
console) only when a command first asks for them, so a command that never
talks to the desk never opens it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from ..client import DeskClient

SERVER_ENV = "VKSUPPORT_SERVER"
DEBUG_ENV = "VKSUPPORT_DEBUG"
SANDBOX = "sandbox"


class UsageError(Exception):
    """A usage mistake found after parsing (exit 2): a missing value we could not ask for."""


class WaitTimedOut(Exception):
    """`wait` gave up before the answer came (exit 7)."""


class Aborted(Exception):
    """The person stopped what they were doing (an empty editor, 'no' at a prompt)."""


@dataclass
class Context:
    server_option: str | None = None
    debug: bool = False
    no_color: bool = False
    insecure: bool = False
    # None: the process's streams as they are when used (so test runners can swap them).
    stdin_override: IO[str] | None = None
    stdout_override: IO[str] | None = None
    stderr_override: IO[str] | None = None
    _client: DeskClient | None = None

    @property
    def stdin(self) -> IO[str]:
        return self.stdin_override or sys.stdin

    @property
    def stdout(self) -> IO[str]:
        return self.stdout_override or sys.stdout

    @property
    def stderr(self) -> IO[str]:
        return self.stderr_override or sys.stderr

    # -- terminal facts ---------------------------------------------------

    @cached_property
    def interactive(self) -> bool:
        """May we prompt? Only with a person at both ends: stdin and stdout terminals."""
        return _isatty(self.stdin) and _isatty(self.stdout)

    @cached_property
    def stdout_is_terminal(self) -> bool:
        return _isatty(self.stdout)

    @cached_property
    def color(self) -> bool:
        return not self.no_color and "NO_COLOR" not in os.environ and self.stdout_is_terminal

    @cached_property
    def console(self) -> Console:
        """rich's console for people: imported here, never on the --json path."""
        from rich.console import Console

        tty = self.stdout_is_terminal
        return Console(
            file=self.stdout,
            no_color=not self.color,
            force_terminal=tty,
            highlight=False,
            # In a pipe, lines are not folded at 80 columns: scripts grep whole sentences.
            soft_wrap=not tty,
            width=None if tty else _pipe_width(),
        )

    @cached_property
    def err_console(self) -> Console:
        from rich.console import Console

        err_tty = _isatty(self.stderr)
        return Console(
            file=self.stderr,
            no_color=not (err_tty and not self.no_color and "NO_COLOR" not in os.environ),
            force_terminal=err_tty,
            highlight=False,
        )

    # -- settings ---------------------------------------------------------

    @cached_property
    def config(self) -> dict[str, Any]:
        from ..config import ConfigError, load

        try:
            return load()
        except ConfigError as exc:
            raise UsageError(str(exc)) from None

    @property
    def server(self) -> str:
        """The desk to talk to: --server, then $VKSUPPORT_SERVER, then config, else the sandbox."""
        for value in (self.server_option, os.environ.get(SERVER_ENV), self.config.get("server")):
            if value and str(value).strip():
                return str(value).strip()
        return SANDBOX

    # -- the desk ---------------------------------------------------------

    @property
    def client(self) -> DeskClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> DeskClient:
        if self.server == SANDBOX:
            from ..client.local import LocalClient
            from ..paths import sandbox_db

            return LocalClient.open(sandbox_db())
        from .. import credentials
        from ..client.http import HttpClient

        url = self.server_url
        token = credentials.find(url)
        return HttpClient(url, token.value if token else None, insecure=self.insecure)

    @property
    def server_url(self) -> str:
        """The configured desk's normalised URL (the key its token is stored under)."""
        from ..client.http import check_url

        return check_url(self.server, insecure=self.insecure)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- small outputs ----------------------------------------------------

    def note(self, message: str) -> None:
        """A line for the person (stderr), kept off stdout so pipes get only data."""
        print(message, file=self.stderr)


def _pipe_width() -> int:
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isascii() and columns.isdigit() and int(columns) > 0 else 200


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
