"""SQLite storage of the desk: connection settings and forward migrations.

Every rule that must hold under concurrency is held here, by the database:
the partial unique index ``one_open_question`` lets at most one waiting or
in-progress question exist per user, whichever process writes. The SQL stays
within what PostgreSQL also accepts (partial indexes, ``random()``, ISO text
timestamps), so moving there is a port, not a rewrite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..i18n import _, ngettext

#: Each entry moves the schema from version ``i`` to ``i + 1``; never edit a
#: released entry, append a new one.
MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE users (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        role        TEXT NOT NULL CHECK (role IN ('user', 'agent')),
        token_hash  TEXT UNIQUE,
        created_at  TEXT NOT NULL
    );

    CREATE TABLE articles (
        slug      TEXT PRIMARY KEY,
        category  TEXT NOT NULL,
        title     TEXT NOT NULL,
        title_en  TEXT NOT NULL DEFAULT '',
        body      TEXT NOT NULL,
        tags      TEXT NOT NULL DEFAULT '[]',
        keywords  TEXT NOT NULL DEFAULT '[]',
        can_ask   INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX articles_by_category ON articles (category);

    CREATE TABLE questions (
        id             INTEGER PRIMARY KEY,
        user_id        INTEGER NOT NULL REFERENCES users (id),
        kind           TEXT NOT NULL CHECK (kind IN ('standard', 'ads')),
        topic          TEXT NOT NULL,
        title          TEXT NOT NULL,
        body           TEXT NOT NULL,
        link           TEXT,
        status         TEXT NOT NULL
                       CHECK (status IN ('waiting', 'in_progress', 'answered', 'closed')),
        agent_id       INTEGER REFERENCES users (id),
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        queued_at      TEXT NOT NULL,
        taken_at       TEXT,
        answered_at    TEXT,
        closed_at      TEXT,
        rating         TEXT CHECK (rating IN ('good', 'bad')),
        rating_comment TEXT,
        rated_at       TEXT
    );
    -- The one-open-question rule, held by the database for every writer.
    CREATE UNIQUE INDEX one_open_question ON questions (user_id)
        WHERE status IN ('waiting', 'in_progress');
    CREATE INDEX questions_by_user ON questions (user_id, id);
    CREATE INDEX questions_queue ON questions (status, kind);

    CREATE TABLE comments (
        id          INTEGER PRIMARY KEY,
        question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
        author_id   INTEGER NOT NULL REFERENCES users (id),
        kind        TEXT NOT NULL CHECK (kind IN ('comment', 'answer')),
        body        TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX comments_by_question ON comments (question_id, id);

    CREATE TABLE attachments (
        id           INTEGER PRIMARY KEY,
        question_id  INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
        filename     TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size         INTEGER NOT NULL,
        sha256       TEXT NOT NULL,
        content      BLOB NOT NULL,
        created_at   TEXT NOT NULL
    );
    CREATE INDEX attachments_by_question ON attachments (question_id, id);

    -- A replayed create (same user, same key) returns what the first one made.
    CREATE TABLE idempotency_keys (
        user_id     INTEGER NOT NULL REFERENCES users (id),
        key         TEXT NOT NULL,
        resource    TEXT NOT NULL,
        resource_id INTEGER NOT NULL,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (user_id, key)
    );

    CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: ids of questions, comments and attachments are never reused. A plain INTEGER
    # PRIMARY KEY hands out max(id) + 1, so deleting the newest question gave its id to
    # the next one, and a script, draft or `wait` holding that id reached someone else's.
    # AUTOINCREMENT keeps the highest id ever given in sqlite_sequence. The tables are
    # rebuilt (SQLite cannot add AUTOINCREMENT in place) keeping every row and id, with
    # foreign keys off for the step (migrate() checks them before committing), and the
    # sequences start from the highest id this database still knows of.
    """
    CREATE TABLE questions_v2 (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id        INTEGER NOT NULL REFERENCES users (id),
        kind           TEXT NOT NULL CHECK (kind IN ('standard', 'ads')),
        topic          TEXT NOT NULL,
        title          TEXT NOT NULL,
        body           TEXT NOT NULL,
        link           TEXT,
        status         TEXT NOT NULL
                       CHECK (status IN ('waiting', 'in_progress', 'answered', 'closed')),
        agent_id       INTEGER REFERENCES users (id),
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        queued_at      TEXT NOT NULL,
        taken_at       TEXT,
        answered_at    TEXT,
        closed_at      TEXT,
        rating         TEXT CHECK (rating IN ('good', 'bad')),
        rating_comment TEXT,
        rated_at       TEXT
    );
    INSERT INTO questions_v2 (id, user_id, kind, topic, title, body, link, status, agent_id,
                              created_at, updated_at, queued_at, taken_at, answered_at, closed_at,
                              rating, rating_comment, rated_at)
        SELECT id, user_id, kind, topic, title, body, link, status, agent_id,
               created_at, updated_at, queued_at, taken_at, answered_at, closed_at,
               rating, rating_comment, rated_at
        FROM questions;

    CREATE TABLE comments_v2 (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
        author_id   INTEGER NOT NULL REFERENCES users (id),
        kind        TEXT NOT NULL CHECK (kind IN ('comment', 'answer')),
        body        TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    INSERT INTO comments_v2 (id, question_id, author_id, kind, body, created_at)
        SELECT id, question_id, author_id, kind, body, created_at FROM comments;

    CREATE TABLE attachments_v2 (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        question_id  INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
        filename     TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size         INTEGER NOT NULL,
        sha256       TEXT NOT NULL,
        content      BLOB NOT NULL,
        created_at   TEXT NOT NULL
    );
    INSERT INTO attachments_v2 (id, question_id, filename, content_type, size, sha256, content, created_at)
        SELECT id, question_id, filename, content_type, size, sha256, content, created_at FROM attachments;

    DROP TABLE comments;
    DROP TABLE attachments;
    DROP TABLE questions;
    ALTER TABLE questions_v2 RENAME TO questions;
    ALTER TABLE comments_v2 RENAME TO comments;
    ALTER TABLE attachments_v2 RENAME TO attachments;

    CREATE UNIQUE INDEX one_open_question ON questions (user_id)
        WHERE status IN ('waiting', 'in_progress');
    CREATE INDEX questions_by_user ON questions (user_id, id);
    CREATE INDEX questions_queue ON questions (status, kind);
    CREATE INDEX comments_by_question ON comments (question_id, id);
    CREATE INDEX attachments_by_question ON attachments (question_id, id);

    -- The highest id known: the rows kept, and what idempotency keys still point at.
    DELETE FROM sqlite_sequence WHERE name IN ('questions', 'comments', 'attachments');
    INSERT INTO sqlite_sequence (name, seq) VALUES
        ('questions', max(
            (SELECT coalesce(max(id), 0) FROM questions),
            (SELECT coalesce(max(resource_id), 0) FROM idempotency_keys WHERE resource = 'question'))),
        ('comments', max(
            (SELECT coalesce(max(id), 0) FROM comments),
            (SELECT coalesce(max(resource_id), 0) FROM idempotency_keys WHERE resource = 'comment'))),
        ('attachments', (SELECT coalesce(max(id), 0) FROM attachments));
    """,
    # 3: an idempotency key is bound to its request (desk/idempotency.py): besides its user
    # and operation (``resource``), the question a comment went to and a fingerprint of the
    # content. Keys kept from before have no fingerprint and match on the rest; they expire
    # within a day like any other, found by their age.
    """
    ALTER TABLE idempotency_keys ADD COLUMN target INTEGER;
    ALTER TABLE idempotency_keys ADD COLUMN fingerprint TEXT;
    UPDATE idempotency_keys
        SET target = (SELECT question_id FROM comments WHERE comments.id = idempotency_keys.resource_id)
        WHERE resource = 'comment';
    CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


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
    """Apply the migrations this database lacks; returns the new version."""
    if schema_version(conn) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    # A step may rebuild a table that others reference: with foreign keys on, dropping the
    # old table would cascade into its children. They are off for the migration (the
    # pragma is a no-op inside a transaction, hence here) and checked before COMMIT.
    enforced = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with write(conn):
            version = schema_version(conn)  # re-read under the lock: another process may have won
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    _("database schema {version} is newer than this vksupport ({supported})").format(
                        version=version, supported=SCHEMA_VERSION
                    )
                )
            for step in MIGRATIONS[version:]:
                for statement in _statements(step):
                    conn.execute(statement)
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:  # rolled back: the database stays as it was
                raise RuntimeError(
                    ngettext(
                        "Upgrading the database would leave {count} broken reference; it was left as it was.",
                        "Upgrading the database would leave {count} broken references; it was left as it was.",
                        len(broken),
                    ).format(count=len(broken))
                )
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    finally:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")
    return SCHEMA_VERSION


def _statements(script: str) -> Iterator[str]:
    # executescript() would commit our transaction; run statements one by one instead.
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


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
