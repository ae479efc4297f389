"""What every command is handed: streams and terminal facts, settings, the desk client.

Like the GitHub CLI's Factory, it builds the expensive parts (the client, rich's
console) only when a command first asks for them, so a command that never
talks to the desk never opens it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..i18n import _

if TYPE_CHECKING:
    from rich.console import Console

    from ..client import DeskClient

SERVER_ENV = "VKSUPPORT_SERVER"
DEBUG_ENV = "VKSUPPORT_DEBUG"
PAGER_ENV = "VKSUPPORT_PAGER"
SANDBOX = "sandbox"


class UsageError(Exception):
    """A usage mistake found after parsing (exit 2): a missing value we could not ask for."""


class WaitTimedOut(Exception):
    """`wait` gave up before the answer came (exit 7); ``question`` is its last state."""

    def __init__(self, message: str, question: object = None) -> None:
        super().__init__(message)
        self.question = question


class Interrupted(Exception):
    """Ctrl-C where "nothing more was sent" would not be the point (exit 130, this message)."""


class Aborted(Exception):
    """The person stopped what they were doing (an empty editor, 'no' at a prompt)."""


@dataclass
class Context:
    server_option: str | None = None
    debug: bool = False
    no_color: bool = False
    insecure: bool = False
    no_pager: bool = False
    json: bool = False  # --json before the command name: every command's --json defaults to it
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
        """Colours: never with --no-color or NO_COLOR; else the config's color (auto: in a terminal)."""
        if self.no_color or "NO_COLOR" in os.environ:
            return False
        setting = str(self.config.get("color", "auto"))
        if setting == "never":
            return False
        return setting == "always" or self.stdout_is_terminal

    @cached_property
    def console(self) -> Console:
        """rich's console for people: imported here, never on the --json path."""
        from rich.console import Console

        tty = self.stdout_is_terminal
        return Console(
            file=self.stdout,
            no_color=not self.color,
            force_terminal=tty or self.color,
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
        return self.server_choice[0]

    @property
    def server_choice(self) -> tuple[str, str]:
        """(the desk, why): why is "flag", "env", "config" or "default"."""
        for value, source in (
            (self.server_option, "flag"),
            (os.environ.get(SERVER_ENV), "env"),
            (self.config.get("server"), "config"),
        ):
            if value and str(value).strip():
                return str(value).strip(), source
        return SANDBOX, "default"

    @property
    def pager(self) -> list[str] | None:
        """The pager's command line for long output in a terminal, or None for none.

        $VKSUPPORT_PAGER, then the config's ``pager``, then $PAGER, else ``less``; 'off' (or an
        empty value, or --no-pager) means none.
        """
        import shlex

        if self.no_pager:
            return None
        for value in (os.environ.get(PAGER_ENV), self.config.get("pager"), os.environ.get("PAGER")):
            if value is not None:
                value = str(value).strip()
                if value in ("", "off"):
                    return None
                try:
                    return shlex.split(value) or None
                except ValueError:
                    return None
        return ["less"]

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

            path = sandbox_db()
            with storage_errors(path):
                return LocalClient.open(path)
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
        """A line for the person (stderr), kept off stdout so pipes get only data.

        Notes may quote the desk (a title, a draft's text): they go through ``inert`` too.
        """
        from .render import inert

        print(inert(message), file=self.stderr)


@contextmanager
def storage_errors(path: Path) -> Iterator[None]:
    """Turn a database file that cannot be opened or is damaged into one sentence naming the file."""
    import sqlite3

    from ..errors import DeskError

    try:
        yield
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
            raise DeskError(
                _(
                    "Cannot open the database {path} ({reason}); check that its folder exists and is writable, "
                    "or set VKSUPPORT_HOME to a folder that is."
                ).format(path=path, reason=exc)
            ) from exc
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc):
            raise DeskError(
                _(
                    "Cannot write to the database {path} ({reason}); make the file and its folder writable."
                ).format(path=path, reason=exc)
            ) from exc
        raise DeskError(
            _(
                "The database {path} is damaged ({reason}); move it aside (mv {path} {path}.broken) "
                "and run the command again to start afresh."
            ).format(path=path, reason=exc)
        ) from exc
    except OSError as exc:
        raise DeskError(
            _(
                "Cannot open the database {path} ({reason}); check that its folder exists and is writable, "
                "or set VKSUPPORT_HOME to a folder that is."
            ).format(path=path, reason=exc.strerror or exc)
        ) from exc


def _pipe_width() -> int:
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isascii() and columns.isdigit() and int(columns) > 0 else 200


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
