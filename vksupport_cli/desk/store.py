"""The seam between the desk's rules and its database.

The rules (accounts.py, questions.py, ...) speak to a ``Store``: run a
statement (``?`` placeholders), insert a row and get its id, run one desk
call's statements on one connection (``pinned``), run statements as one write
transaction, lock a name or a savepoint inside it, and recognise a
broken constraint. What differs between SQLite and PostgreSQL is here
(``SQLiteStore``) and in postgres.py (``PostgresStore``); the rules and the
schema (schema.py) are written once.

``open_store`` picks the store for what ``--db`` / ``VKSUPPORT_DESK_DB`` says:
a ``postgresql://`` URL or a file path. It imports the PostgreSQL driver only
for a PostgreSQL URL, so the CLI's start-up never loads it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, ClassVar, Protocol

from ..errors import BadInput, Unavailable
from ..i18n import _, ngettext
from . import db

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class Store(Protocol):
    """What the desk's rules need from a database."""

    dialect: str
    #: What a write that breaks a constraint (the one-open-question index, say) raises.
    IntegrityError: type[Exception]
    #: The dialect's words for schema.py's braces.
    words: ClassVar[dict[str, str]]
    #: Appended to a SELECT inside a write: lock the rows read (``FOR UPDATE``), or nothing
    #: where a write transaction already excludes every other writer.
    lock_rows: str
    #: Appended to the queue's SELECT: lock the row taken, skipping rows others hold.
    skip_locked: str

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any: ...

    def insert(self, sql: str, args: Sequence[Any] = ()) -> int: ...

    def pinned(self) -> AbstractContextManager[None]:
        """Run one desk call's statements on one connection (nested use joins the outer one)."""
        ...

    def write(self) -> AbstractContextManager[None]: ...

    def in_write(self) -> bool: ...

    def savepoint(self) -> AbstractContextManager[None]: ...

    def lock(self, name: str) -> None: ...

    def legacy_version(self) -> int: ...

    def schema_migrated(self, version: int) -> None: ...

    def search_conn(self) -> sqlite3.Connection: ...

    def load_articles(self, articles: list[dict[str, Any]]) -> int: ...

    def ensure_articles(self) -> None: ...

    def close(self) -> None: ...


def is_postgres(target: str) -> bool:
    return target.startswith(POSTGRES_SCHEMES)


def check_target(target: str | Path) -> str:
    """``target`` as given if it names a desk database; refuse any other URL with a sentence."""
    text = str(target)
    if is_postgres(text):
        return text
    if _URL.match(text):
        scheme = text.split("://", 1)[0]
        raise BadInput(
            _("A desk database is a SQLite file path or a postgresql:// URL, not a {scheme}:// URL.").format(
                scheme=scheme
            )
        )
    return text


def open_store(target: str | Path) -> Store:
    """The store for ``target`` (a SQLite path or a postgresql:// URL), created or migrated."""
    text = check_target(target)
    if is_postgres(text):
        try:
            from .postgres import PostgresStore  # the driver is loaded only for PostgreSQL
        except ImportError:
            raise Unavailable(
                _("A desk on PostgreSQL needs its driver: pip install 'vksupport[postgres]'.")
            ) from None
        return PostgresStore(text)
    return SQLiteStore(db.connect(text))


class SQLiteStore:
    """The desk's store in one SQLite file (or ``:memory:``).

    Writes run in ``BEGIN IMMEDIATE``, so one writer at a time holds the whole
    database: rows need no locks of their own, and the help-search index lives
    in the same file, rebuilt in the transaction that changes the articles.
    """

    dialect = "sqlite"
    IntegrityError: type[Exception] = sqlite3.IntegrityError
    words: ClassVar[dict[str, str]] = db.WORDS
    lock_rows = ""
    skip_locked = ""

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

    def pinned(self) -> AbstractContextManager[None]:
        return nullcontext()  # one connection already

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction; nested use joins the outer one."""
        with db.write(self.conn):
            yield

    def in_write(self) -> bool:
        return self.conn.in_transaction

    def savepoint(self) -> AbstractContextManager[None]:
        return nullcontext()  # no other writer runs inside BEGIN IMMEDIATE: nothing to undo

    def lock(self, name: str) -> None:
        """Nothing to do: the write transaction already excludes every other writer."""

    def legacy_version(self) -> int:
        return db.schema_version(self.conn)

    def schema_migrated(self, version: int) -> None:
        """Refuse a migration that broke a reference (it rolls back), then record the version."""
        broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(
                ngettext(
                    "Upgrading the database would leave {count} broken reference; it was left as it was.",
                    "Upgrading the database would leave {count} broken references; it was left as it was.",
                    len(broken),
                ).format(count=len(broken))
            )
        self.conn.execute(f"PRAGMA user_version = {int(version)}")

    def search_conn(self) -> sqlite3.Connection:
        return self.conn

    def load_articles(self, articles: list[dict[str, Any]]) -> int:
        from . import helpcenter

        return helpcenter.load(self.conn, articles)

    def ensure_articles(self) -> None:
        from . import helpcenter, search

        helpcenter.ensure_loaded(self.conn)
        search.ensure_index(self.conn)

    def close(self) -> None:
        self.conn.close()
