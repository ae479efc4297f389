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
from typing import IO, TYPE_CHECKING

from .. import paths

if TYPE_CHECKING:
    from ..client import DeskClient

SERVER_ENV = "VKSUPPORT_SERVER"
TOKEN_ENV = "VKSUPPORT_TOKEN"
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
    def console(self):
        """rich's console for people: imported here, never on the --json path."""
        from rich.console import Console

        return Console(
            file=self.stdout,
            no_color=not self.color,
            force_terminal=self.stdout_is_terminal,
            highlight=False,
            soft_wrap=False,
        )

    @cached_property
    def err_console(self):
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
    def config(self) -> dict:
        path = paths.config_file()
        if not path.exists():
            return {}
        import tomllib

        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"Cannot read {path}: {exc}. Fix or remove the file.") from exc

    @cached_property
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

            return LocalClient.open(paths.sandbox_db())
        from ..client.http import HttpClient

        return HttpClient(self.server, os.environ.get(TOKEN_ENV) or None, insecure=self.insecure)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- small outputs ----------------------------------------------------

    def note(self, message: str) -> None:
        """A line for the person (stderr), kept off stdout so pipes get only data."""
        print(message, file=self.stderr)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
