"""The seam between the desk's rules and its database.

The rules (accounts.py, questions.py, ...) speak to a ``Store``: run a
statement, insert a row and get its id, run several statements as one write
transaction, and recognise a broken constraint. What differs between
databases lives behind this seam; the rules are written once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from . import db


class Store(Protocol):
    """What the desk's rules need from a database."""

    dialect: str
    IntegrityError: type[Exception]
    #: The driver's connection (help search and the corpus loader still use it directly).
    conn: Any

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any: ...

    def insert(self, sql: str, args: Sequence[Any] = ()) -> int: ...

    def write(self) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...


class SQLiteStore:
    """The desk's store in one SQLite file (or ``:memory:``)."""

    dialect = "sqlite"
    #: What a write that breaks a constraint (the one-open-question index, say) raises.
    IntegrityError: type[Exception] = sqlite3.IntegrityError

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)

    def insert(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run an INSERT of one row; returns the new row's id."""
        row_id = self.conn.execute(sql, args).lastrowid
        if row_id is None:
            raise RuntimeError("an INSERT made no row")
        return row_id

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction; nested use joins the outer one."""
        with db.write(self.conn):
            yield

    def close(self) -> None:
        self.conn.close()
