"""How the desk reads a question: rows into models, what a user may see, and the shared base of its parts.

Every part of the desk (accounts.py, questions.py, comments.py, attachments.py,
queue.py, articles.py) derives from ``DeskPart``: the store it works on, the
clock it reads, and the readers here, which decide what a user may see (a
user sees only their own questions, another's is "not found", never
"forbidden"; an agent sees every question).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import NotFound
from ..i18n import _
from .inputs import check_id
from .limits import Limits
from .models import OPEN_STATUSES, Attachment, Comment, Question, User
from .store import Store

STANDARD_ANSWER_TIME = timedelta(hours=24)
LOADED_ANSWER_TIME = timedelta(days=5)
#: Waiting questions beyond which the desk counts as loaded (answers take up to 5 days).
LOAD_THRESHOLD = 500
#: A waiting question's queue key is a random integer below this (see queue.py).
PICKS = 2**31

QUESTION_SELECT = """
    SELECT q.*, u.name AS author, a.name AS agent
    FROM questions q JOIN users u ON u.id = q.user_id LEFT JOIN users a ON a.id = q.agent_id
"""
COMMENT_SELECT = """
    SELECT c.*, u.name AS author, u.role AS role
    FROM comments c JOIN users u ON u.id = c.author_id
"""
#: Waiting questions, counted up to the load threshold: asked only for an open question's
#: expected answer time (``CASE`` reads it only then). The bound is written in, not bound:
#: PostgreSQL plans a ``LIMIT $1`` it cannot see as a scan of the whole queue, and so plans
#: the statement anew on every run rather than once (3x the cost of the statement).
WAITING_COUNT = f"""
    CASE WHEN q.status IN ('waiting', 'in_progress') THEN
        (SELECT count(*) FROM (SELECT 1 FROM questions WHERE status = 'waiting' LIMIT {LOAD_THRESHOLD + 1:d}) AS w)
    END
"""  # noqa: S608 - a constant
#: Questions for a list, each row with ``waiting``.
LIST_SELECT = f"""
    SELECT q.*, u.name AS author, a.name AS agent, {WAITING_COUNT} AS waiting
    FROM questions q JOIN users u ON u.id = q.user_id LEFT JOIN users a ON a.id = q.agent_id
"""  # noqa: S608 - constants only
#: A list page's keys alone: what tells whether a caller's copy of each item is current.
PAGE_KEYS = "SELECT q.id, q.revision, q.status FROM questions q"
#: A question's key, and whose it is.
QUESTION_KEY = "SELECT q.user_id, q.revision, q.status FROM questions q"
#: A question with its whole thread in one statement: the question's row once per thread
#: entry (comments and answers, then attachments, each by id), or once alone. Both parts
#: of the thread are filtered by the question's id, so neither database reads beyond it.
THREAD_SELECT = f"""
    SELECT q.*, u.name AS author, a.name AS agent, {WAITING_COUNT} AS waiting,
           t.part AS t_part, t.id AS t_id, t.kind AS t_kind, t.body AS t_body,
           t.created_at AS t_created_at, t.author AS t_author, t.role AS t_role,
           t.filename AS t_filename, t.content_type AS t_content_type, t.size AS t_size,
           t.sha256 AS t_sha256
    FROM questions q JOIN users u ON u.id = q.user_id LEFT JOIN users a ON a.id = q.agent_id
    LEFT JOIN (
        SELECT 1 AS part, c.id, c.kind, c.body, c.created_at, cu.name AS author, cu.role AS role,
               NULL AS filename, NULL AS content_type, NULL AS size, NULL AS sha256
        FROM comments c JOIN users cu ON cu.id = c.author_id WHERE c.question_id = ?
        UNION ALL
        SELECT 2, f.id, NULL, NULL, f.created_at, NULL, NULL, f.filename, f.content_type, f.size, f.sha256
        FROM attachments f WHERE f.question_id = ?
    ) t ON 1 = 1
    WHERE q.id = ?
    ORDER BY t.part, t.id
"""  # noqa: S608 - constants only


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class DeskPart:
    """What every part of the desk shares: the store, the clock, and reading questions."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now, limits: Limits | None = None):
        self.store = store
        self.clock = clock
        #: Per-user limits (questions a day, attachment storage); none unless the operator sets them.
        self.limits = limits or Limits.none()
        #: Where the queue's keys come from (a test seeds it to replay a run).
        self.rng = random.Random()  # noqa: S311 - fairness, not secrecy

    def _pick(self) -> int:
        """A new queue key for a question going into the queue."""
        return self.rng.randrange(PICKS)

    def _now(self) -> str:
        return iso(self.clock())

    def _visible(self, user: User) -> tuple[str, list[Any]]:
        if user.role == "agent":
            return "1 = 1", []
        return "q.user_id = ?", [user.id]

    def _own_row(
        self, user: User, question_id: int, *, authored: bool = False, columns: str = QUESTION_SELECT
    ) -> Any:
        """The question row if ``user`` may see it (``authored``: only its author); ``columns``
        read ``user_id`` as ``q.user_id``."""
        check_id(question_id)
        # Inside a write the row is locked until the transaction ends (on databases that lock rows).
        lock = self.store.lock_rows if self.store.in_write() else ""
        row = self.store.execute(f"{columns} WHERE q.id = ?{lock}", (question_id,)).fetchone()
        visible = row is not None and (row["user_id"] == user.id or (user.role == "agent" and not authored))
        if not visible:
            raise NotFound(_("There is no question {id} of yours.").format(id=question_id))
        return row

    def _question(self, user: User, question_id: int) -> Question:
        """The question as ``user`` may see it, read with its thread in one statement."""
        check_id(question_id)
        rows = self.store.execute(THREAD_SELECT, (question_id, question_id, question_id)).fetchall()
        if not rows or not (rows[0]["user_id"] == user.id or user.role == "agent"):
            raise NotFound(_("There is no question {id} of yours.").format(id=question_id))
        comments, attachments = [], []
        for row in rows:
            if row["t_part"] == 1:
                comments.append(
                    Comment(
                        id=row["t_id"],
                        question_id=question_id,
                        author=row["t_author"],
                        role=row["t_role"],
                        kind=row["t_kind"],
                        body=row["t_body"],
                        created_at=row["t_created_at"],
                    )
                )
            elif row["t_part"] == 2:
                attachments.append(
                    Attachment(
                        id=row["t_id"],
                        question_id=question_id,
                        filename=row["t_filename"],
                        content_type=row["t_content_type"],
                        size=row["t_size"],
                        sha256=row["t_sha256"],
                        created_at=row["t_created_at"],
                    )
                )
        first = rows[0]
        return self._build(first, comments, attachments, loaded_from(first))

    def _attachments(self, question_id: int, attachment_id: int | None = None) -> list[Attachment]:
        sql = (
            "SELECT id, question_id, filename, content_type, size, sha256, created_at"
            " FROM attachments WHERE question_id = ?"
        )
        args: list[Any] = [question_id]
        if attachment_id is not None:
            sql += " AND id = ?"
            args.append(attachment_id)
        return [Attachment(**dict(row)) for row in self.store.execute(sql + " ORDER BY id", args)]

    def _comment(self, comment_id: int) -> Comment:
        row = self.store.execute(f"{COMMENT_SELECT} WHERE c.id = ?", (comment_id,)).fetchone()
        if row is None:  # a replayed key whose question has been deleted since
            raise NotFound(_("Comment {id} is gone with its question.").format(id=comment_id))
        return comment_from_row(row)

    def _loaded(self) -> bool:
        waiting: int = self.store.execute(
            "SELECT count(*) FROM (SELECT 1 FROM questions WHERE status = 'waiting' LIMIT ?) AS w",
            (LOAD_THRESHOLD + 1,),
        ).fetchone()[0]
        return waiting > LOAD_THRESHOLD

    def _build(
        self, row: Any, comments: list[Comment], attachments: list[Attachment], loaded: bool | None = None
    ) -> Question:
        """A Question from its row; ``loaded`` (is the desk under load?) is looked up if needed."""
        return Question(**self._fields(row, loaded), comments=comments, attachments=attachments)

    def _fields(self, row: Any, loaded: bool | None = None) -> dict[str, Any]:
        """A question's fields from its row, comments and attachments aside: what ``Question``
        is built from, and, with those two as empty lists, its ``to_dict()`` (a list page's items)."""
        values = dict(zip(row.keys(), row, strict=True))  # one pass: a row looks names up one by one
        expected = None
        if values["status"] in OPEN_STATUSES:
            if loaded is None:
                loaded = self._loaded()
            wait = LOADED_ANSWER_TIME if loaded else STANDARD_ANSWER_TIME
            expected = iso(parse_iso(values["queued_at"]) + wait)
        return {
            "id": values["id"],
            "author": values["author"],
            "kind": values["kind"],
            "topic": values["topic"],
            "title": values["title"],
            "body": values["body"],
            "link": values["link"],
            "status": values["status"],
            "agent": values["agent"],
            "created_at": values["created_at"],
            "updated_at": values["updated_at"],
            "queued_at": values["queued_at"],
            "taken_at": values["taken_at"],
            "answered_at": values["answered_at"],
            "closed_at": values["closed_at"],
            "rating": values["rating"],
            "rating_comment": values["rating_comment"],
            "rated_at": values["rated_at"],
            "unprocessed": values["taken_at"] is None,
            "expected_answer_by": expected,
        }


def loaded_from(row: Any) -> bool | None:
    """Whether the desk is under load, from a row's ``waiting`` (None where it was not counted)."""
    waiting = row["waiting"]
    return None if waiting is None else waiting > LOAD_THRESHOLD


def page_loaded(rows: list[Any]) -> bool:
    """Whether the desk is under load, from a page of rows read with ``waiting`` (counted once,
    on the open ones; a page with none open needs no answer)."""
    return next((flag for row in rows if (flag := loaded_from(row)) is not None), False)


def comment_from_row(row: Any) -> Comment:
    return Comment(
        id=row["id"],
        question_id=row["question_id"],
        author=row["author"],
        role=row["role"],
        kind=row["kind"],
        body=row["body"],
        created_at=row["created_at"],
    )


def status_word(status: str) -> str:
    """A status as a person reads it (the CLI's words for the same statuses)."""
    words = {
        "waiting": _("waiting"),
        "in_progress": _("in progress"),
        "answered": _("answered"),
        "closed": _("closed"),
    }
    return words.get(status, status)
