"""SQLite storage of the desk: connection settings and transactions (the schema is schema.py's).

Every rule that must hold under concurrency is held here, by the database:
the partial unique index ``one_open_question`` lets at most one waiting or
in-progress question exist per user, whichever process writes. The
PostgreSQL store (postgres.py) runs the same schema and the same rules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import schema
from .schema import SCHEMA_VERSION

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "connect", "migrate", "schema_version", "write"]

#: SQLite's words for schema.py's braces.
WORDS = {
    "id": "INTEGER PRIMARY KEY",
    "blob": "BLOB",
    "random_pick": "abs(random() % 2147483648)",
}
#: The migrations as SQLite runs them (schema.py holds them for every dialect).
MIGRATIONS: list[str] = [
    schema.render(schema.sql_for(step, "sqlite"), WORDS) for _, step in schema.MIGRATIONS
]
_statements = schema.statements


def connect(path: str | Path) -> sqlite3.Connection:
    """Open the desk database at ``path``, creating or migrating it as needed.

    Transactions are explicit (``isolation_level=None``): the service opens
    ``BEGIN IMMEDIATE`` for every write so that two processes never deadlock
    upgrading a read lock, and waits up to ``busy_timeout`` for the other.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    migrate(conn)
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database lacks (schema.py); returns the new version."""
    if schema_version(conn) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    from .store import SQLiteStore

    # A step may rebuild a table that others reference: with foreign keys on, dropping the
    # old table would cascade into its children. They are off for the migration (the
    # pragma is a no-op inside a transaction, hence here) and checked before COMMIT
    # (SQLiteStore.schema_migrated).
    enforced = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        return schema.migrate(SQLiteStore(conn))
    finally:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error."""
    if conn.in_transaction:  # nested use joins the outer transaction
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
