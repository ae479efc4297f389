"""Noticing that questions changed, cheaply: what push (long-poll, `wait`) is built on.

Two ways, one per database. On PostgreSQL the database tells: a ``ChangeFeed``
listens (LISTEN/NOTIFY, postgres.py) and hears the id of every question changed
by a commit on any node, as it commits. On SQLite a process watches the file.
A question's *version* is what every change to it moves: ``updated_at`` (each
write to a question or its comments and attachments sets it) and ``status``. A
``ChangeProbe`` holds its own read connection to the desk's SQLite file and asks
two cheap things of it: ``PRAGMA data_version`` (which moves when any other
connection, in this process or another, commits to the file; it reads SQLite's
shared memory, not the tables) and, only when that moved, the versions of the
questions someone is waiting on, in one query. One probe serves every waiter of
a process: the cost of waiting does not grow with the number of waiters.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from .models import Question

if TYPE_CHECKING:
    from .service import Desk

#: How many ids one versions() query asks about (SQLite's default bound on parameters is 32,766).
_CHUNK = 900


def version_of(question: Question) -> str:
    """The version of a question as read: equal versions, same question (its derived fields aside)."""
    return version(question.updated_at, question.status)


def version(updated_at: str, status: str) -> str:
    """A version from a question's row (``version_of``)."""
    return f"{updated_at}|{status}"


#: ``listen(connected, changed)``: a store's way of hearing its changes (PostgresStore.listen_changes).
Listen = Callable[[Callable[[], None], Callable[[int], None]], Awaitable[None]]


class ChangeFeed:
    """The ids of changed questions as the database tells them (PostgreSQL: every node hears every commit)."""

    def __init__(self, listen: Listen):
        self._listen = listen

    @classmethod
    def open(cls, desk: Desk) -> ChangeFeed | None:
        """A feed for ``desk`` if its database tells its changes, else None."""
        listen: Listen | None = getattr(desk.store, "listen_changes", None)
        return cls(listen) if listen is not None else None

    async def run(self, connected: Callable[[], None], changed: Callable[[int], None]) -> None:
        """Call ``changed(id)`` per changed question until cancelled; ``connected()`` each time listening
        (re)starts, since what changed while nobody listened is unknown."""
        await self._listen(connected, changed)


def open_watch(desk: Desk) -> ChangeFeed | ChangeProbe | None:
    """How a server notices ``desk``'s changes: told (PostgreSQL), by watching the file (SQLite), or not."""
    return ChangeFeed.open(desk) or ChangeProbe.open(desk)


class ChangeProbe:
    """A read-only look at a desk's SQLite file: did anything commit, and which questions moved."""

    def __init__(self, path: str):
        # Its own connection: data_version only moves for commits made by *other* connections.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout = 5000")
        self._last = self._data_version()

    @classmethod
    def open(cls, desk: Desk) -> ChangeProbe | None:
        """A probe on the file ``desk`` works on, or None when it has none (an in-memory desk)."""
        store = desk.store
        if getattr(store, "dialect", None) != "sqlite":
            return None
        rows = store.execute("PRAGMA database_list").fetchall()
        path = next((row[2] for row in rows if row[1] == "main"), "")
        return cls(path) if path else None

    def _data_version(self) -> int:
        value: int = self._conn.execute("PRAGMA data_version").fetchone()[0]
        return value

    def moved(self) -> bool:
        """Whether anything was committed to the file since the last call (or since opening)."""
        now = self._data_version()
        moved, self._last = now != self._last, now
        return moved

    def versions(self, ids: Iterable[int]) -> dict[int, str]:
        """The current version of each of ``ids`` that exists (a deleted question is absent)."""
        wanted = list(ids)
        found: dict[int, str] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT id, updated_at, status FROM questions WHERE id IN ({marks})",  # noqa: S608 - marks only
                chunk,
            )
            found.update((row[0], version(row[1], row[2])) for row in rows)
        return found

    def close(self) -> None:
        self._conn.close()
