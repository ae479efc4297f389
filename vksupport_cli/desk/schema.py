"""The desk's schema, written once for every database, and the runner that migrates it forward.

Each migration is SQL with a few words in braces that a dialect fills in
(``{id}``: an auto-numbered primary key, ``{blob}``: bytes, ``{random_pick}``:
a random integer in [0, 2**31) per row). Everything else is SQL both SQLite and
PostgreSQL accept; a step only one database needs (SQLite rebuilding a table
to change a column) is given per dialect. What ran is recorded in the ``schema_migrations`` table of
the database itself (version, name, when), so any node can tell what a
database holds; SQLite also keeps ``PRAGMA user_version`` in step.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..i18n import _

if TYPE_CHECKING:
    from .store import Store

#: (name, SQL) in order; entry ``i`` moves the schema from version ``i`` to ``i + 1``.
#: Never edit a released entry: append a new one.
MIGRATIONS: list[tuple[str, str | dict[str, str]]] = [
    (
        "the first schema",
        """
    CREATE TABLE users (
        id          {id},
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
        id             {id},
        user_id        BIGINT NOT NULL REFERENCES users (id),
        kind           TEXT NOT NULL CHECK (kind IN ('standard', 'ads')),
        topic          TEXT NOT NULL,
        title          TEXT NOT NULL,
        body           TEXT NOT NULL,
        link           TEXT,
        status         TEXT NOT NULL
                       CHECK (status IN ('waiting', 'in_progress', 'answered', 'closed')),
        agent_id       BIGINT REFERENCES users (id),
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
        id          {id},
        question_id BIGINT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
        author_id   BIGINT NOT NULL REFERENCES users (id),
        kind        TEXT NOT NULL CHECK (kind IN ('comment', 'answer')),
        body        TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX comments_by_question ON comments (question_id, id);

    CREATE TABLE attachments (
        id           {id},
        question_id  BIGINT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
        filename     TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size         BIGINT NOT NULL,
        sha256       TEXT NOT NULL,
        content      {blob} NOT NULL,
        created_at   TEXT NOT NULL
    );
    CREATE INDEX attachments_by_question ON attachments (question_id, id);

    -- A replayed create (same user, same key) returns what the first one made.
    CREATE TABLE idempotency_keys (
        user_id     BIGINT NOT NULL REFERENCES users (id),
        key         TEXT NOT NULL,
        resource    TEXT NOT NULL,
        resource_id BIGINT NOT NULL,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (user_id, key)
    );

    CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    ),
    # 2: ids of questions, comments and attachments are never reused. A plain INTEGER
    # PRIMARY KEY hands out max(id) + 1, so deleting the newest question gave its id to
    # the next one, and a script, draft or `wait` holding that id reached someone else's.
    # AUTOINCREMENT keeps the highest id ever given in sqlite_sequence. The tables are
    # rebuilt (SQLite cannot add AUTOINCREMENT in place) keeping every row and id, with
    # foreign keys off for the step (migrate() checks them before committing), and the
    # sequences start from the highest id this database still knows of.
    (
        "ids are never reused",
        {
            "sqlite": """
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
            # An identity column never hands out an id twice: nothing to do.
            "postgresql": "",
        },
    ),
    # 3: an idempotency key is bound to its request (desk/idempotency.py): besides its user
    # and operation (``resource``), the question a comment went to and a fingerprint of the
    # content. Keys kept from before have no fingerprint and match on the rest; they expire
    # within a day like any other, found by their age.
    (
        "idempotency keys bound to their request",
        {
            "sqlite": """
    ALTER TABLE idempotency_keys ADD COLUMN target INTEGER;
    ALTER TABLE idempotency_keys ADD COLUMN fingerprint TEXT;
    UPDATE idempotency_keys
        SET target = (SELECT question_id FROM comments WHERE comments.id = idempotency_keys.resource_id)
        WHERE resource = 'comment';
    CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
    """,
            "postgresql": """
    ALTER TABLE idempotency_keys ADD COLUMN target BIGINT;
    ALTER TABLE idempotency_keys ADD COLUMN fingerprint TEXT;
    UPDATE idempotency_keys
        SET target = (SELECT question_id FROM comments WHERE comments.id = idempotency_keys.resource_id)
        WHERE resource = 'comment';
    CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
    """,
        },
    ),
    # 4: the per-user usage ledger (limits.py): questions created, attachment bytes stored.
    # Deleting a question does not shrink it, so ask -> delete -> ask counts too.
    (
        "the per-user usage ledger",
        """
    CREATE TABLE usage (
        user_id    BIGINT NOT NULL REFERENCES users (id),
        kind       TEXT NOT NULL CHECK (kind IN ('question', 'attachment')),
        amount     BIGINT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX usage_by_user ON usage (user_id, kind, created_at);
    """,
    ),
    # 5: the queue picks by a random key.
    (
        "the queue picks by a random key",
        """
    -- Each waiting question holds a random key; a take looks up the first key at
    -- or after a random point (wrapping), advertisers first: one index probe,
    -- never a sort of the whole queue.
    ALTER TABLE questions ADD COLUMN pick BIGINT NOT NULL DEFAULT 0;
    UPDATE questions SET pick = {random_pick} WHERE status = 'waiting';
    DROP INDEX questions_queue;
    CREATE INDEX questions_queue ON questions (kind, pick, id) WHERE status = 'waiting';
    """,
    ),
    # 6: every node hears of a changed question (push, server/push.py). Each change to a
    # question or its thread updates its row (updated_at), so a trigger on the row tells
    # ``NOTIFY vksupport_questions, '<id>'`` at commit, to every node listening. SQLite has
    # no such thing and needs none: a server watches the file (desk/changes.py).
    (
        "questions tell their changes",
        {
            "sqlite": "",
            "postgresql": """
    CREATE FUNCTION vksupport_question_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('vksupport_questions', OLD.id::text);
        RETURN NULL;
    END
    $$;
    CREATE TRIGGER questions_changed AFTER UPDATE OR DELETE ON questions
        FOR EACH ROW EXECUTE FUNCTION vksupport_question_changed();
    """,
        },
    ),
    # 7: a question's revision, moved by every change to its row (and so to its thread, whose
    # changes update the row): what a server keys the encoded copies of a question on
    # (server/items.py). A trigger moves it, so no write can forget to; updated_at cannot
    # serve, two writes may fall in one millisecond.
    (
        "questions count their revisions",
        {
            "sqlite": """
    ALTER TABLE questions ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
    CREATE TRIGGER questions_revision AFTER UPDATE ON questions
        FOR EACH ROW WHEN NEW.revision = OLD.revision
    BEGIN
        UPDATE questions SET revision = OLD.revision + 1 WHERE id = OLD.id;
    END;
    """,
            "postgresql": """
    ALTER TABLE questions ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
    CREATE FUNCTION vksupport_question_revised() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.revision := OLD.revision + 1;
        RETURN NEW;
    END
    $$;
    CREATE TRIGGER questions_revision BEFORE UPDATE ON questions
        FOR EACH ROW EXECUTE FUNCTION vksupport_question_revised();
    """,
        },
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)

_LEDGER = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TEXT NOT NULL
    )
"""


def sql_for(step: str | dict[str, str], dialect: str) -> str:
    """A migration's SQL for one dialect, before its braces are filled."""
    return step if isinstance(step, str) else step[dialect]


def render(sql: str, words: Mapping[str, str]) -> str:
    """A migration's SQL in one dialect: ``words`` fill the braces."""
    for word, text in words.items():
        sql = sql.replace("{" + word + "}", text)
    return sql


def applied(store: Store) -> int:
    """The schema version the database holds (0 for a new one)."""
    recorded = store.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] or 0
    return max(recorded, store.legacy_version())


def migrate(store: Store) -> int:
    """Apply the migrations the database lacks, recording each; returns the new version.

    Runs under the store's migration lock, so nodes starting together migrate once.
    """
    with store.write():
        store.lock("vksupport:migrate")
        store.execute(_LEDGER)
        version = applied(store)  # read under the lock: another node may have won
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                _("database schema {version} is newer than this vksupport ({supported})").format(
                    version=version, supported=SCHEMA_VERSION
                )
            )
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        recorded = {row[0] for row in store.execute("SELECT version FROM schema_migrations")}
        for number in range(1, version + 1):  # a database from before the ledger
            if number not in recorded:
                store.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (number, MIGRATIONS[number - 1][0], now),
                )
        for number, (name, sql) in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements(render(sql_for(sql, store.dialect), store.words)):
                store.execute(statement)
            store.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (number, name, now),
            )
        store.schema_migrated(SCHEMA_VERSION)
    return SCHEMA_VERSION


def statements(script: str) -> Iterator[str]:
    """The statements of ``script`` one by one (comments dropped; a ``$$``-quoted body stays whole)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if buffer.count("$$") % 2 == 0 and sqlite3.complete_statement(buffer.replace("$$", "")):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()
