"""The desk: every rule of DESIGN.md "The desk's rules", over SQLite.

Callers pass the acting ``User``; the desk decides what that user may see and
do. A user sees only their own questions (another's is "not found", never
"forbidden"); an agent sees every question. Writes run in one ``BEGIN
IMMEDIATE`` transaction each, and the rules that must hold across processes
are the database's (see db.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import (
    BadInput,
    Conflict,
    NotAccepting,
    NotAllowed,
    NotEditable,
    NotFound,
    NotSignedIn,
    OpenQuestionExists,
)
from ..i18n import _, ngettext
from . import db, helpcenter, search
from .models import (
    KINDS,
    OPEN_STATUSES,
    RATINGS,
    ROLES,
    Article,
    AskResult,
    Attachment,
    Comment,
    Question,
    QuestionPage,
    SearchHit,
    Topic,
    User,
)

# Limits a person meets; the README lists them.
TITLE_MAX = 200
BODY_MAX = 20_000
COMMENT_MAX = 20_000
LINK_MAX = 2_048
RATING_COMMENT_MAX = 2_000
NAME_MAX = 64
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_MAX = 10
LIST_LIMIT_MAX = 1_000

STANDARD_ANSWER_TIME = timedelta(hours=24)
LOADED_ANSWER_TIME = timedelta(days=5)
#: Waiting questions beyond which the desk counts as loaded (answers take up to 5 days).
LOAD_THRESHOLD = 500

LIST_FILTERS = ("all", "open", *("waiting", "in_progress", "answered", "closed"))

#: How a question is picked from the queue: advertisers first, then at random.
_QUEUE_ORDER = "CASE kind WHEN 'ads' THEN 0 ELSE 1 END, random()"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: What a file name may not keep: every control character and the bidirectional
#: overrides that make "gpj.exe" look like "exe.jpg".
_NAME_HAZARDS = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_WORD = re.compile(r"\w{3,}")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def hash_token(token: str) -> str:
    """Tokens are stored hashed: a copy of the database gives nobody a login."""
    return hashlib.sha256(token.encode()).hexdigest()


class Desk:
    """The support desk over one SQLite database."""

    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], datetime] = utc_now):
        self.conn = conn
        self.clock = clock

    @classmethod
    def open(cls, path: str | Path, clock: Callable[[], datetime] = utc_now) -> Desk:
        """Open (creating or migrating) the desk at ``path``, with the help centre loaded."""
        conn = db.connect(path)
        helpcenter.ensure_loaded(conn)
        search.ensure_index(conn)
        return cls(conn, clock)

    def close(self) -> None:
        self.conn.close()

    def _now(self) -> str:
        return iso(self.clock())

    # -- accounts ---------------------------------------------------------

    def add_user(self, name: str, role: str = "user") -> tuple[User, str]:
        """Create an account; returns it with its API token (shown once, stored hashed)."""
        name = _clean_line(name, "name", NAME_MAX)
        if role not in ROLES:
            raise BadInput(_("Role must be one of {choices}.").format(choices=", ".join(ROLES)))
        token = "vks_" + secrets.token_urlsafe(32)
        with db.write(self.conn):
            if self._user_row("name = ?", name):
                raise Conflict(_("A user named {name!r} already exists.").format(name=name))
            cur = self.conn.execute(
                "INSERT INTO users (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                (name, role, hash_token(token), self._now()),
            )
        return User(cur.lastrowid, name, role), token

    def ensure_user(self, name: str, role: str = "user") -> User:
        """The named account, created without a token if missing (the sandbox's people)."""
        name = _clean_line(name, "name", NAME_MAX)
        if role not in ROLES:
            raise BadInput(_("Role must be one of {choices}.").format(choices=", ".join(ROLES)))
        row = self._user_row("name = ?", name)
        if row is None:
            with db.write(self.conn):
                self.conn.execute(
                    "INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (name) DO NOTHING",
                    (name, role, self._now()),
                )
            row = self._user_row("name = ?", name)
        return User(row["id"], row["name"], row["role"])

    def user_by_token(self, token: str) -> User:
        row = self._user_row("token_hash = ?", hash_token(token)) if token else None
        if row is None:
            raise NotSignedIn(_("The desk does not accept this token."))
        return User(row["id"], row["name"], row["role"])

    def _user_row(self, where: str, *args) -> sqlite3.Row | None:
        return self.conn.execute(f"SELECT * FROM users WHERE {where}", args).fetchone()

    # -- help centre ------------------------------------------------------

    def search_help(self, query: str, *, category: str | None = None, limit: int = 10) -> list[SearchHit]:
        ranked = search.search(self.conn, query, category=category, limit=limit)
        if not ranked:
            return []
        slugs = [slug for slug, _ in ranked]
        rows = {
            row["slug"]: row
            for row in self.conn.execute(
                f"SELECT slug, category, title, title_en, body, can_ask FROM articles"
                f" WHERE slug IN ({','.join('?' * len(slugs))})",
                slugs,
            )
        }
        return [
            SearchHit(
                slug=slug,
                title=rows[slug]["title"],
                title_en=rows[slug]["title_en"],
                category=rows[slug]["category"],
                can_ask=bool(rows[slug]["can_ask"]),
                score=round(score, 4),
                snippet=_snippet(rows[slug]["body"]),
            )
            for slug, score in ranked
            if slug in rows
        ]

    def article(self, slug: str) -> Article:
        row = self.conn.execute("SELECT * FROM articles WHERE slug = ?", (slug,)).fetchone()
        if row is None:
            raise NotFound(_("There is no help article {slug!r}.").format(slug=slug))
        return _article(row)

    def categories(self) -> list[str]:
        rows = self.conn.execute("SELECT DISTINCT category FROM articles ORDER BY category")
        return [row[0] for row in rows]

    def topics(self) -> list[Topic]:
        """Every topic a question may take: askable articles by category, then categories."""
        articles = [
            Topic(row["slug"], row["title"], row["category"], "article")
            for row in self.conn.execute(
                "SELECT slug, title, category FROM articles WHERE can_ask = 1 ORDER BY category, slug"
            )
        ]
        categories = [
            Topic(name, helpcenter.CATEGORIES.get(name, name), name, "category") for name in self.categories()
        ]
        return articles + categories

    def import_help(self, path: str | Path) -> int:
        """Replace the help centre with the JSONL corpus at ``path``; returns the count."""
        return helpcenter.load(self.conn, helpcenter.read_articles(path))

    def _check_topic(self, topic: str) -> str:
        topic = _require_text(topic).strip()
        if not topic:
            raise BadInput(_("Choose a topic: a help article you may ask about, or a category."))
        row = self.conn.execute("SELECT can_ask FROM articles WHERE slug = ?", (topic,)).fetchone()
        if row is not None:
            if not row["can_ask"]:
                raise BadInput(
                    _(
                        "The article {topic!r} answers its question itself; "
                        "choose its category or an article that lets you write to support."
                    ).format(topic=topic)
                )
            return topic
        if topic in self.categories() or topic in helpcenter.CATEGORIES:
            return topic
        raise BadInput(
            _("There is no topic {topic!r}; use an article's slug or a category.").format(topic=topic)
        )

    # -- the switch -------------------------------------------------------

    def accepting(self) -> bool:
        row = self.conn.execute("SELECT value FROM settings WHERE name = 'accepting'").fetchone()
        return row is None or row["value"] == "1"

    def set_accepting(self, accepting: bool) -> None:
        with db.write(self.conn):
            self.conn.execute(
                "INSERT INTO settings (name, value) VALUES ('accepting', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                ("1" if accepting else "0",),
            )

    # -- questions --------------------------------------------------------

    def ask(
        self,
        user: User,
        *,
        topic: str,
        title: str,
        body: str,
        link: str | None = None,
        kind: str = "standard",
        attachments: Sequence[tuple[str, bytes]] = (),
        idempotency_key: str | None = None,
    ) -> AskResult:
        """Put a new question in the queue, under the one-open-question rule."""
        if kind not in KINDS:
            raise BadInput(_("Kind must be one of {choices}.").format(choices=", ".join(KINDS)))
        topic = self._check_topic(topic)
        title = _clean_line(title, "summary", TITLE_MAX)
        body = _clean_text(body, "description", BODY_MAX)
        link = _clean_link(link)
        files = [_check_attachment(name, content) for name, content in attachments]
        if len(files) > ATTACHMENTS_MAX:
            raise BadInput(_too_many_attachments())
        key = _clean_key(idempotency_key)
        now = self._now()
        with db.write(self.conn):
            if key and (earlier := self._replayed(user, key, "question")) is not None:
                return AskResult(self._question(user, earlier), None)
            if not self.accepting():
                raise NotAccepting(_("The desk is not accepting new questions right now; try again later."))
            self._refuse_if_open(user)
            repeats = self._repeated_question(user, title, body)
            try:
                cur = self.conn.execute(
                    """
                    INSERT INTO questions (user_id, kind, topic, title, body, link, status,
                                           created_at, updated_at, queued_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?)
                    """,
                    (user.id, kind, topic, title, body, link, now, now, now),
                )
            except sqlite3.IntegrityError:  # another writer won the race
                self._refuse_if_open(user)
                raise
            question_id = cur.lastrowid
            for name, content_type, content in files:
                self._store_attachment(question_id, name, content_type, content, now)
            if key:
                self._remember(user, key, "question", question_id, now)
        return AskResult(self._question(user, question_id), repeats)

    def list_questions(
        self, user: User, *, status: str = "all", limit: int = 20, cursor: str | None = None
    ) -> QuestionPage:
        """The user's questions, newest first; agents list every question."""
        if status not in LIST_FILTERS:
            raise BadInput(_("Status must be one of {choices}.").format(choices=", ".join(LIST_FILTERS)))
        if not _is_int(limit) or not 1 <= limit <= LIST_LIMIT_MAX:
            raise BadInput(_("Limit must be between 1 and {limit}.").format(limit=LIST_LIMIT_MAX))
        where, args = self._visible(user)
        if status == "open":
            where += " AND q.status IN ('waiting', 'in_progress')"
        elif status != "all":
            where += " AND q.status = ?"
            args.append(status)
        if cursor is not None:
            if not isinstance(cursor, str) or not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
                raise BadInput(_("The page cursor is not one this desk gave out."))
            where += " AND q.id < ?"
            args.append(int(cursor))
        rows = self.conn.execute(
            f"{_QUESTION_SELECT} WHERE {where} ORDER BY q.id DESC LIMIT ?", (*args, limit + 1)
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        loaded = self._loaded()
        questions = [self._build(row, [], [], loaded) for row in rows]
        return QuestionPage(questions, str(rows[-1]["id"]) if more else None)

    def get_question(self, user: User, question_id: int) -> Question:
        return self._question(user, question_id)

    def edit_question(
        self,
        user: User,
        question_id: int,
        *,
        title: str | None = None,
        body: str | None = None,
        link: str | None = None,
        clear_link: bool = False,
    ) -> Question:
        """Change a question nobody has taken yet."""
        changes: dict[str, str | None] = {}
        if title is not None:
            changes["title"] = _clean_line(title, "summary", TITLE_MAX)
        if body is not None:
            changes["body"] = _clean_text(body, "description", BODY_MAX)
        if clear_link:
            changes["link"] = None
        elif link is not None:
            changes["link"] = _clean_link(link)
        if not changes:
            raise BadInput(_("Nothing to change: give a new summary, description or link."))
        with db.write(self.conn):
            row = self._own_row(user, question_id, authored=True)
            _require_unprocessed(row, "edited")
            changes["updated_at"] = self._now()
            assignments = ", ".join(f"{name} = ?" for name in changes)
            self.conn.execute(
                f"UPDATE questions SET {assignments} WHERE id = ?", (*changes.values(), question_id)
            )
        return self._question(user, question_id)

    def delete_question(self, user: User, question_id: int) -> None:
        """Remove a question nobody has taken yet, for good."""
        with db.write(self.conn):
            row = self._own_row(user, question_id, authored=True)
            _require_unprocessed(row, "deleted")
            # Its keys go with it: a replay must never find a reused row id of someone else's.
            self.conn.execute(
                "DELETE FROM idempotency_keys WHERE (resource = 'question' AND resource_id = ?)"
                " OR (resource = 'comment' AND resource_id IN (SELECT id FROM comments WHERE question_id = ?))",
                (question_id, question_id),
            )
            self.conn.execute("DELETE FROM questions WHERE id = ?", (question_id,))

    def comment(
        self, user: User, question_id: int, body: str, *, idempotency_key: str | None = None
    ) -> Comment:
        """Add details to one's question; on an answered one it is a follow-up that reopens it."""
        body = _clean_text(body, "comment", COMMENT_MAX)
        key = _clean_key(idempotency_key)
        now = self._now()
        with db.write(self.conn):
            if key and (earlier := self._replayed(user, key, "comment")) is not None:
                return self._comment(earlier)
            row = self._own_row(user, question_id, authored=True)
            if row["status"] == "closed":
                raise Conflict(
                    _("Question {id} is closed; ask a new question instead.").format(id=question_id)
                )
            if row["status"] == "answered":
                self._refuse_if_open(user)
                try:
                    self.conn.execute(
                        "UPDATE questions SET status = 'waiting', agent_id = NULL,"
                        " queued_at = ?, updated_at = ? WHERE id = ?",
                        (now, now, question_id),
                    )
                except sqlite3.IntegrityError:
                    self._refuse_if_open(user)
                    raise
            else:
                self.conn.execute("UPDATE questions SET updated_at = ? WHERE id = ?", (now, question_id))
            comment_id = self._add_comment(question_id, user.id, "comment", body, now)
            if key:
                self._remember(user, key, "comment", comment_id, now)
        return self._comment(comment_id)

    def rate(self, user: User, question_id: int, rating: str, comment: str | None = None) -> Question:
        """Rate the answer (good or bad); this ends the question."""
        if rating not in RATINGS:
            raise BadInput(_("Rate the answer as good or bad."))
        if comment is not None:
            comment = _clean_text(comment, "rating comment", RATING_COMMENT_MAX, allow_empty=True) or None
        now = self._now()
        with db.write(self.conn):
            row = self._own_row(user, question_id, authored=True)
            if row["rating"] is not None:
                raise Conflict(_("Question {id} is rated already.").format(id=question_id))
            if row["answered_at"] is None or row["status"] in OPEN_STATUSES:
                raise Conflict(_("Question {id} has no answer to rate yet.").format(id=question_id))
            self.conn.execute(
                "UPDATE questions SET status = 'closed', rating = ?, rating_comment = ?,"
                " rated_at = ?, closed_at = COALESCE(closed_at, ?), updated_at = ? WHERE id = ?",
                (rating, comment, now, now, now, question_id),
            )
        return self._question(user, question_id)

    def close_question(self, user: User, question_id: int) -> Question:
        """End one's question without rating it (it stays in the history)."""
        now = self._now()
        with db.write(self.conn):
            row = self._own_row(user, question_id, authored=True)
            if row["status"] == "closed":
                raise Conflict(_("Question {id} is closed already.").format(id=question_id))
            self.conn.execute(
                "UPDATE questions SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ?",
                (now, now, question_id),
            )
        return self._question(user, question_id)

    # -- attachments ------------------------------------------------------

    def attach(self, user: User, question_id: int, filename: str, content: bytes) -> Attachment:
        name, content_type, content = _check_attachment(filename, content)
        now = self._now()
        with db.write(self.conn):
            row = self._own_row(user, question_id, authored=True)
            if row["status"] == "closed":
                raise Conflict(
                    _("Question {id} is closed; ask a new question instead.").format(id=question_id)
                )
            count = self.conn.execute(
                "SELECT count(*) FROM attachments WHERE question_id = ?", (question_id,)
            ).fetchone()[0]
            if count >= ATTACHMENTS_MAX:
                raise BadInput(_too_many_attachments())
            attachment_id = self._store_attachment(question_id, name, content_type, content, now)
            self.conn.execute("UPDATE questions SET updated_at = ? WHERE id = ?", (now, question_id))
        return self._attachments(question_id, attachment_id)[0]

    def attachment_content(
        self, user: User, question_id: int, attachment_id: int
    ) -> tuple[Attachment, bytes]:
        self._own_row(user, question_id)
        found = self._attachments(question_id, attachment_id)
        if not found:
            raise NotFound(
                _("Question {id} has no attachment {attachment}.").format(
                    id=question_id, attachment=attachment_id
                )
            )
        content = self.conn.execute(
            "SELECT content FROM attachments WHERE id = ?", (attachment_id,)
        ).fetchone()[0]
        return found[0], bytes(content)

    def _store_attachment(
        self, question_id: int, name: str, content_type: str, content: bytes, now: str
    ) -> int:
        return self.conn.execute(
            "INSERT INTO attachments (question_id, filename, content_type, size, sha256,"
            " content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                question_id,
                name,
                content_type,
                len(content),
                hashlib.sha256(content).hexdigest(),
                content,
                now,
            ),
        ).lastrowid

    # -- agents -----------------------------------------------------------

    def take(self, agent: User) -> Question | None:
        """Give the agent a waiting question (advertisers first, else at random), or None."""
        _require_agent(agent)
        now = self._now()
        with db.write(self.conn):
            row = self.conn.execute(
                f"SELECT id FROM questions WHERE status = 'waiting' ORDER BY {_QUEUE_ORDER} LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            self.conn.execute(
                "UPDATE questions SET status = 'in_progress', agent_id = ?,"
                " taken_at = COALESCE(taken_at, ?), updated_at = ? WHERE id = ?",
                (agent.id, now, now, row["id"]),
            )
        return self._question(agent, row["id"])

    def answer(self, agent: User, question_id: int, body: str) -> Question:
        """Answer a question the agent has taken."""
        _require_agent(agent)
        body = _clean_text(body, "answer", COMMENT_MAX)
        now = self._now()
        with db.write(self.conn):
            row = self._own_row(agent, question_id)
            if row["status"] != "in_progress":
                raise Conflict(
                    _("Question {id} is {status}; an agent answers only a question they have taken.").format(
                        id=question_id, status=_status_word(row["status"])
                    )
                )
            if row["agent_id"] != agent.id:
                raise Conflict(_("Question {id} was taken by another agent.").format(id=question_id))
            self._add_comment(question_id, agent.id, "answer", body, now)
            self.conn.execute(
                "UPDATE questions SET status = 'answered', answered_at = ?, updated_at = ? WHERE id = ?",
                (now, now, question_id),
            )
        return self._question(agent, question_id)

    def queue(self, agent: User, *, limit: int = 100) -> list[Question]:
        """Waiting questions in the order of urgency: advertisers first, then oldest."""
        _require_agent(agent)
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise BadInput(_("Limit must be between 1 and {limit}.").format(limit=LIST_LIMIT_MAX))
        rows = self.conn.execute(
            f"{_QUESTION_SELECT} WHERE q.status = 'waiting'"
            " ORDER BY CASE q.kind WHEN 'ads' THEN 0 ELSE 1 END, q.queued_at, q.id LIMIT ?",
            (limit,),
        ).fetchall()
        loaded = self._loaded()
        return [self._build(row, [], [], loaded) for row in rows]

    # -- reading ----------------------------------------------------------

    def _visible(self, user: User) -> tuple[str, list]:
        if user.role == "agent":
            return "1 = 1", []
        return "q.user_id = ?", [user.id]

    def _own_row(self, user: User, question_id: int, *, authored: bool = False) -> sqlite3.Row:
        """The question row if ``user`` may see it (``authored``: only its author)."""
        _check_id(question_id)
        row = self.conn.execute(f"{_QUESTION_SELECT} WHERE q.id = ?", (question_id,)).fetchone()
        visible = row is not None and (row["user_id"] == user.id or (user.role == "agent" and not authored))
        if not visible:
            raise NotFound(_("There is no question {id} of yours.").format(id=question_id))
        return row

    def _question(self, user: User, question_id: int) -> Question:
        row = self._own_row(user, question_id)
        comments = [
            _comment(c)
            for c in self.conn.execute(
                f"{_COMMENT_SELECT} WHERE c.question_id = ? ORDER BY c.id", (question_id,)
            )
        ]
        return self._build(row, comments, self._attachments(question_id))

    def _attachments(self, question_id: int, attachment_id: int | None = None) -> list[Attachment]:
        sql = (
            "SELECT id, question_id, filename, content_type, size, sha256, created_at"
            " FROM attachments WHERE question_id = ?"
        )
        args: list = [question_id]
        if attachment_id is not None:
            sql += " AND id = ?"
            args.append(attachment_id)
        return [Attachment(**dict(row)) for row in self.conn.execute(sql + " ORDER BY id", args)]

    def _comment(self, comment_id: int) -> Comment:
        row = self.conn.execute(f"{_COMMENT_SELECT} WHERE c.id = ?", (comment_id,)).fetchone()
        if row is None:  # a replayed key whose question has been deleted since
            raise NotFound(_("Comment {id} is gone with its question.").format(id=comment_id))
        return _comment(row)

    def _add_comment(self, question_id: int, author_id: int, kind: str, body: str, now: str) -> int:
        return self.conn.execute(
            "INSERT INTO comments (question_id, author_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?)",
            (question_id, author_id, kind, body, now),
        ).lastrowid

    def _loaded(self) -> bool:
        waiting = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM questions WHERE status = 'waiting' LIMIT ?)",
            (LOAD_THRESHOLD + 1,),
        ).fetchone()[0]
        return waiting > LOAD_THRESHOLD

    def _build(self, row: sqlite3.Row, comments, attachments, loaded: bool | None = None) -> Question:
        """A Question from its row; ``loaded`` (is the desk under load?) is looked up if needed."""
        expected = None
        if row["status"] in OPEN_STATUSES:
            if loaded is None:
                loaded = self._loaded()
            wait = LOADED_ANSWER_TIME if loaded else STANDARD_ANSWER_TIME
            expected = iso(parse_iso(row["queued_at"]) + wait)
        return Question(
            id=row["id"],
            author=row["author"],
            kind=row["kind"],
            topic=row["topic"],
            title=row["title"],
            body=row["body"],
            link=row["link"],
            status=row["status"],
            agent=row["agent"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            queued_at=row["queued_at"],
            taken_at=row["taken_at"],
            answered_at=row["answered_at"],
            closed_at=row["closed_at"],
            rating=row["rating"],
            rating_comment=row["rating_comment"],
            rated_at=row["rated_at"],
            unprocessed=row["taken_at"] is None,
            expected_answer_by=expected,
            comments=comments,
            attachments=attachments,
        )

    # -- rules' helpers ---------------------------------------------------

    def _refuse_if_open(self, user: User) -> None:
        row = self.conn.execute(
            "SELECT id FROM questions WHERE user_id = ? AND status IN ('waiting', 'in_progress')",
            (user.id,),
        ).fetchone()
        if row is not None:
            raise OpenQuestionExists(row["id"])

    def _repeated_question(self, user: User, title: str, body: str) -> int | None:
        """An earlier question of the user's that the new one seems to repeat."""
        new = _word_set(f"{title} {body}")
        if not new:
            return None
        rows = self.conn.execute(
            "SELECT id, title, body FROM questions WHERE user_id = ? ORDER BY id DESC LIMIT 200",
            (user.id,),
        )
        for row in rows:
            old = _word_set(f"{row['title']} {row['body']}")
            if old and len(new & old) / len(new | old) >= 0.6:
                return row["id"]
        return None

    def _replayed(self, user: User, key: str, resource: str) -> int | None:
        row = self.conn.execute(
            "SELECT resource, resource_id FROM idempotency_keys WHERE user_id = ? AND key = ?",
            (user.id, key),
        ).fetchone()
        if row is None:
            return None
        if row["resource"] != resource:
            raise BadInput(_("This idempotency key was used for another kind of request."))
        owner = self.conn.execute(_OWNER_OF[resource], (row["resource_id"],)).fetchone()
        if owner is None or owner[0] != user.id:
            # What the key made is gone: the key is stale, and the request is a new one.
            self.conn.execute("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ?", (user.id, key))
            return None
        return row["resource_id"]

    def _remember(self, user: User, key: str, resource: str, resource_id: int, now: str) -> None:
        self.conn.execute(
            "INSERT INTO idempotency_keys (user_id, key, resource, resource_id, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user.id, key, resource, resource_id, now),
        )


_OWNER_OF = {
    "question": "SELECT user_id FROM questions WHERE id = ?",
    "comment": "SELECT author_id FROM comments WHERE id = ?",
}

_QUESTION_SELECT = """
    SELECT q.*, u.name AS author, a.name AS agent
    FROM questions q JOIN users u ON u.id = q.user_id LEFT JOIN users a ON a.id = q.agent_id
"""
_COMMENT_SELECT = """
    SELECT c.*, u.name AS author, u.role AS role
    FROM comments c JOIN users u ON u.id = c.author_id
"""


def _comment(row: sqlite3.Row) -> Comment:
    return Comment(
        id=row["id"],
        question_id=row["question_id"],
        author=row["author"],
        role=row["role"],
        kind=row["kind"],
        body=row["body"],
        created_at=row["created_at"],
    )


def _article(row: sqlite3.Row) -> Article:
    return Article(
        slug=row["slug"],
        category=row["category"],
        title=row["title"],
        title_en=row["title_en"],
        body=row["body"],
        tags=json.loads(row["tags"]),
        can_ask=bool(row["can_ask"]),
    )


def _snippet(body: str, size: int = 160) -> str:
    text = " ".join(re.sub(r"[*#>`_]+", " ", body).split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def _require_unprocessed(row: sqlite3.Row, verb: str) -> None:
    """``verb``: "edited" or "deleted" (each has its own whole sentences, for translation)."""
    if row["taken_at"] is not None:
        taken = {
            "edited": _(
                "Question {id} can no longer be edited: an agent has taken it. Add a comment instead."
            ),
            "deleted": _(
                "Question {id} can no longer be deleted: an agent has taken it. Add a comment instead."
            ),
        }
        raise NotEditable(taken[verb].format(id=row["id"]))
    if row["status"] != "waiting":
        settled = {
            "edited": _("Question {id} is {status} and can no longer be edited."),
            "deleted": _("Question {id} is {status} and can no longer be deleted."),
        }
        raise NotEditable(settled[verb].format(id=row["id"], status=_status_word(row["status"])))


def _status_word(status: str) -> str:
    """A status as a person reads it (the CLI's words for the same statuses)."""
    words = {
        "waiting": _("waiting"),
        "in_progress": _("in progress"),
        "answered": _("answered"),
        "closed": _("closed"),
    }
    return words.get(status, status)


def _too_many_attachments() -> str:
    return ngettext(
        "A question takes at most {n} attachment.",
        "A question takes at most {n} attachments.",
        ATTACHMENTS_MAX,
    ).format(n=ATTACHMENTS_MAX)


def _require_agent(user: User) -> None:
    if user.role != "agent":
        raise NotAllowed(_("Only a support agent can do this."))


def _check_id(question_id: int) -> None:
    if isinstance(question_id, bool) or not isinstance(question_id, int) or not 0 < question_id < 2**63:
        raise NotFound(_("There is no question {id}.").format(id=question_id))


def _require_text(value) -> str:
    """``value`` if it is a string SQLite can store (no lone surrogates from a broken encoder)."""
    if not isinstance(value, str):
        raise BadInput(_("A text field holds something that is not text."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(_("The text holds characters that are not valid Unicode.")) from None
    return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_text(value: str, what: str, limit: int, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise BadInput(_field_problem(what, "not_text"))
    _require_text(value)
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text and not allow_empty:
        raise BadInput(_field_problem(what, "empty"))
    if len(text) > limit:
        raise BadInput(_field_problem(what, "too_long", length=len(text), limit=limit))
    return text


def _clean_line(value: str, what: str, limit: int) -> str:
    text = " ".join(_clean_text(value, what, 10 * limit).split())
    if len(text) > limit:
        raise BadInput(_field_problem(what, "too_long", length=len(text), limit=limit))
    return text


def _field_problem(what: str, problem: str, length: int = 0, limit: int = 0) -> str:
    """What is wrong with a text field, as a whole sentence per field and problem.

    Never "The {what} is empty" with the field's name filled in: other languages
    inflect the name (and what agrees with it), so each field has its own sentences.
    """
    if problem == "not_text":
        sentences = {
            "name": _("The name must be text."),
            "summary": _("The summary must be text."),
            "description": _("The description must be text."),
            "comment": _("The comment must be text."),
            "answer": _("The answer must be text."),
            "rating comment": _("The rating comment must be text."),
        }
    elif problem == "empty":
        sentences = {
            "name": _("The name is empty."),
            "summary": _("The summary is empty."),
            "description": _("The description is empty."),
            "comment": _("The comment is empty."),
            "answer": _("The answer is empty."),
            "rating comment": _("The rating comment is empty."),
        }
    else:
        sentences = {
            "name": ngettext(
                "The name is {length} character long; the limit is {limit}.",
                "The name is {length} characters long; the limit is {limit}.",
                length,
            ),
            "summary": ngettext(
                "The summary is {length} character long; the limit is {limit}.",
                "The summary is {length} characters long; the limit is {limit}.",
                length,
            ),
            "description": ngettext(
                "The description is {length} character long; the limit is {limit}.",
                "The description is {length} characters long; the limit is {limit}.",
                length,
            ),
            "comment": ngettext(
                "The comment is {length} character long; the limit is {limit}.",
                "The comment is {length} characters long; the limit is {limit}.",
                length,
            ),
            "answer": ngettext(
                "The answer is {length} character long; the limit is {limit}.",
                "The answer is {length} characters long; the limit is {limit}.",
                length,
            ),
            "rating comment": ngettext(
                "The rating comment is {length} character long; the limit is {limit}.",
                "The rating comment is {length} characters long; the limit is {limit}.",
                length,
            ),
        }
    return sentences[what].format(length=length, limit=limit)


def _clean_link(link: str | None) -> str | None:
    if link is None or not _require_text(link).strip():
        return None
    link = link.strip()
    if not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)", link):  # no scheme: "vk.com/id1"
        link = "https://" + link
    if len(link) > LINK_MAX:
        raise BadInput(
            ngettext(
                "The link is longer than {limit} character.",
                "The link is longer than {limit} characters.",
                LINK_MAX,
            ).format(limit=LINK_MAX)
        )
    try:
        parts = urlsplit(link)
    except ValueError as exc:
        raise BadInput(_("The link is not a web address.")) from exc
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s|[\x00-\x1f\x7f]", link):
        raise BadInput(_("The link must be a web address such as https://vk.com/id1."))
    return link


def _clean_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= 200 or not key.isprintable():
        raise BadInput(_("An idempotency key is 1 to 200 printable characters."))
    return key


def _word_set(text: str) -> set[str]:
    # A crude stem (first six letters) is enough to notice a repeated question.
    return {word[:6] for word in _WORD.findall(text.lower())}


#: (magic prefix, content type) of the binary kinds an attachment may be.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]
ATTACHMENT_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain")
TEXT_SUFFIXES = (".txt", ".log")


def _check_attachment(filename: str, content: bytes) -> tuple[str, str, bytes]:
    """Validate an attachment; returns (safe file name, sniffed content type, content).

    The type comes from the bytes, not from the name a client claims, and the
    name loses any folder part so it can never point outside where it is saved.
    """
    name = _NAME_HAZARDS.sub("", _require_text(filename)).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        raise BadInput(_("An attachment needs a file name."))
    if len(name) > 255:
        raise BadInput(_("An attachment's file name is longer than 255 characters."))
    if hasattr(content, "read"):  # a file (the server's spooled upload)
        content = content.read(ATTACHMENT_MAX_BYTES + 1)
    if not isinstance(content, (bytes, bytearray)):
        raise BadInput(_("Attachment {name} has no content.").format(name=name))
    if not content:
        raise BadInput(_("Attachment {name} is empty.").format(name=name))
    if len(content) > ATTACHMENT_MAX_BYTES:
        raise BadInput(
            _("Attachment {name} is {size} MiB; the limit is {limit} MiB.").format(
                name=name, size=f"{len(content) / 1048576:.1f}", limit=ATTACHMENT_MAX_BYTES // 1048576
            )
        )
    content = bytes(content)
    for magic, content_type in _SIGNATURES:
        if content.startswith(magic):
            return name, content_type, content
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return name, "image/webp", content
    if name.lower().endswith(TEXT_SUFFIXES):
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return name, "text/plain", content
    raise BadInput(
        _(
            "Attachment {name} is not a PNG, JPEG, GIF or WebP picture, a PDF, or a UTF-8 .txt/.log file."
        ).format(name=name)
    )
