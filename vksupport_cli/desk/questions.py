"""Questions and their life: asking (one open question per user), listing, editing and deleting
an untaken question, rating the answer, closing; and the switch that stops new questions.

A question is ``waiting`` until an agent takes it (queue.py), ``in_progress``
while the agent works on it, ``answered`` once answered (comments.py; a
follow-up comment puts it back in the queue), and ``closed`` when rated or
closed by its author.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import IO, Any

from ..errors import BadInput, Conflict, NotAccepting, OpenQuestionExists
from ..i18n import _
from . import idempotency, limits
from .articles import check_topic
from .attachments import check_attachment, store_attachment, too_many_attachments
from .inputs import (
    ATTACHMENTS_MAX,
    BODY_MAX,
    LIST_LIMIT_MAX,
    RATING_COMMENT_MAX,
    TITLE_MAX,
    clean_key,
    clean_line,
    clean_link,
    clean_text,
    is_int,
)
from .models import KINDS, OPEN_STATUSES, RATINGS, AskResult, Question, QuestionPage, User, edit_refusal
from .records import LIST_SELECT, PAGE_KEYS, QUESTION_KEY, DeskPart, iso, page_loaded
from .store import Store

#: A list item as the server builds it: (id, revision, its to_dict() or None); see list_page.
Listed = tuple[int, int, dict[str, Any] | None]

LIST_FILTERS = ("all", "open", *("waiting", "in_progress", "answered", "closed"))

_WORD = re.compile(r"\w{3,}")


class Questions(DeskPart):
    # -- the switch -------------------------------------------------------

    def accepting(self) -> bool:
        row = self.store.execute("SELECT value FROM settings WHERE name = 'accepting'").fetchone()
        return row is None or row["value"] == "1"

    def set_accepting(self, accepting: bool) -> None:
        with self.store.write():
            self.store.execute(
                "INSERT INTO settings (name, value) VALUES ('accepting', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                ("1" if accepting else "0",),
            )

    # -- a question's life ------------------------------------------------

    def ask(
        self,
        user: User,
        *,
        topic: str,
        title: str,
        body: str,
        link: str | None = None,
        kind: str = "standard",
        attachments: Sequence[tuple[str, bytes | IO[bytes]]] = (),
        idempotency_key: str | None = None,
    ) -> AskResult:
        """Put a new question in the queue, under the one-open-question rule."""
        if kind not in KINDS:
            raise BadInput(_("Kind must be one of {choices}.").format(choices=", ".join(KINDS)))
        topic = check_topic(self.store, topic, kind)
        title = clean_line(title, "summary", TITLE_MAX)
        body = clean_text(body, "description", BODY_MAX)
        link = clean_link(link)
        files = [check_attachment(name, content) for name, content in attachments]
        if len(files) > ATTACHMENTS_MAX:
            raise BadInput(too_many_attachments())
        key = clean_key(idempotency_key)
        # What a key is bound to: the request as the desk cleaned it (so trimmed ends do not count).
        request = idempotency.Request(
            idempotency.ASK,
            None,
            idempotency.fingerprint(
                kind=kind,
                topic=topic,
                title=title,
                body=body,
                link=link,
                attachments=[list(f) for f in files],
            ),
        )
        moment = self.clock()
        now = iso(moment)
        with self.store.write():
            if key:
                idempotency.hold(self.store, user, key)
            if key and (earlier := idempotency.replayed(self.store, user, key, request, moment)) is not None:
                # The reply the first request got: the same question, the same repeat noticed.
                return AskResult(
                    self._question(user, earlier), repeated_question(self.store, user, title, body, earlier)
                )
            if not self.accepting():
                raise NotAccepting(_("The desk is not accepting new questions right now; try again later."))
            refuse_if_open(self.store, user)
            limits.check_question(self.store, self.limits, user.id, moment)
            incoming = sum(len(content) for _name, _type, content in files)
            limits.check_attachments(self.store, self.limits, user.id, moment, incoming)
            repeats = repeated_question(self.store, user, title, body)
            try:
                with self.store.savepoint():
                    question_id = self.store.insert(
                        """
                        INSERT INTO questions (user_id, kind, topic, title, body, link, status,
                                               created_at, updated_at, queued_at, pick)
                        VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?)
                        """,
                        (user.id, kind, topic, title, body, link, now, now, now, self._pick()),
                    )
            except self.store.IntegrityError:  # another writer won the race
                refuse_if_open(self.store, user)
                raise
            for name, content_type, content in files:
                store_attachment(self.store, question_id, name, content_type, content, now)
            limits.record(self.store, user.id, "question", 1, moment)
            if incoming:
                limits.record(self.store, user.id, "attachment", incoming, moment)
            if key:
                idempotency.remember(self.store, user, key, request, question_id, moment)
            # Read before COMMIT: the reply is the question as asked, not as an agent who took it
            # the moment it was committed left it (the server runs several desk calls at once).
            asked = self._question(user, question_id)
        return AskResult(asked, repeats)

    def list_questions(
        self, user: User, *, status: str = "all", limit: int = 20, cursor: str | None = None
    ) -> QuestionPage:
        """The user's questions, newest first; agents list every question."""
        rows, next_cursor = self._list_rows(user, status, limit, cursor)
        loaded = page_loaded(rows)
        return QuestionPage([self._build(row, [], [], loaded) for row in rows], next_cursor)

    def list_page(
        self,
        user: User,
        *,
        status: str = "all",
        limit: int = 20,
        cursor: str | None = None,
        known: Callable[[list[tuple[int, int]]], set[int]] | None = None,
    ) -> tuple[list[Listed], str | None]:
        """The page ``list_questions`` gives, built from the rows (no Question per row) for the
        server: ``(id, revision, fields)`` per question, where ``fields`` is its ``to_dict()``
        (no comments or attachments), and the next page's cursor.

        ``known([(id, revision), ...])``: the ids of the finished questions whose item the
        caller holds at that revision (server/items.py); their fields are None, and for them
        only the page's keys are read. Open questions always come whole: their
        ``expected_answer_by`` moves with the queue."""
        if known is None:
            rows, next_cursor = self._list_rows(user, status, limit, cursor)
            loaded = page_loaded(rows)
            return [self._listed(row, loaded) for row in rows], next_cursor
        rows, next_cursor = self._list_rows(user, status, limit, cursor, columns=PAGE_KEYS)
        keys = [(row[0], row[1], row[2]) for row in rows]  # (id, revision, status), each row read once
        held = known([(key[0], key[1]) for key in keys if key[2] not in OPEN_STATUSES])
        fetch = [key[0] for key in keys if key[0] not in held]
        whole: dict[int, Listed] = {}
        if fetch:
            where, args = self._visible(user)
            marks = ", ".join("?" * len(fetch))
            rows = self.store.execute(
                f"{LIST_SELECT} WHERE {where} AND q.id IN ({marks})",
                (*args, *fetch),
            ).fetchall()
            loaded = page_loaded(rows)
            whole = {row["id"]: self._listed(row, loaded) for row in rows}
        # A question deleted between the two reads is left out, as a later read would.
        listed = [
            (key[0], key[1], None) if key[0] in held else whole[key[0]]
            for key in keys
            if key[0] in held or key[0] in whole
        ]
        return listed, next_cursor

    def _listed(self, row: Any, loaded: bool) -> Listed:
        fields = self._fields(row, loaded)
        return fields["id"], row["revision"], {**fields, "comments": [], "attachments": []}

    def _list_rows(
        self, user: User, status: str, limit: int, cursor: str | None, *, columns: str = LIST_SELECT
    ) -> tuple[list[Any], str | None]:
        """A page of question rows for ``list_questions`` (``columns``: LIST_SELECT's, with
        ``waiting``, or fewer), and the cursor of the next page (or None)."""
        if status not in LIST_FILTERS:
            raise BadInput(_("Status must be one of {choices}.").format(choices=", ".join(LIST_FILTERS)))
        if not is_int(limit) or not 1 <= limit <= LIST_LIMIT_MAX:
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
        rows = self.store.execute(
            f"{columns} WHERE {where} ORDER BY q.id DESC LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, str(rows[-1]["id"]) if more else None

    def get_question(self, user: User, question_id: int) -> Question:
        return self._question(user, question_id)

    def question_key(self, user: User, question_id: int) -> tuple[int, str]:
        """A question's revision and status, its thread unread: whether a copy the caller keeps is
        current (server/items.py). NotFound as ``get_question``."""
        row = self._own_row(user, question_id, columns=QUESTION_KEY)
        return row["revision"], row["status"]

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
            changes["title"] = clean_line(title, "summary", TITLE_MAX)
        if body is not None:
            changes["body"] = clean_text(body, "description", BODY_MAX)
        if clear_link:
            changes["link"] = None
        elif link is not None:
            changes["link"] = clean_link(link)
        if not changes:
            raise BadInput(_("Nothing to change: give a new summary, description or link."))
        with self.store.write():
            row = self._own_row(user, question_id, authored=True)
            require_unprocessed(row, "edited")
            changes["updated_at"] = self._now()
            assignments = ", ".join(f"{name} = ?" for name in changes)
            self.store.execute(
                # S608: the column names are this function's own keys; every value is bound
                f"UPDATE questions SET {assignments} WHERE id = ?",  # noqa: S608
                (*changes.values(), question_id),
            )
        return self._question(user, question_id)

    def delete_question(self, user: User, question_id: int) -> None:
        """Remove a question nobody has taken yet, for good."""
        with self.store.write():
            row = self._own_row(user, question_id, authored=True)
            require_unprocessed(row, "deleted")
            # Its keys go with it: a replay must never find a reused row id of someone else's.
            self.store.execute(
                "DELETE FROM idempotency_keys WHERE (resource = 'question' AND resource_id = ?)"
                " OR (resource = 'comment' AND resource_id IN (SELECT id FROM comments WHERE question_id = ?))",
                (question_id, question_id),
            )
            self.store.execute("DELETE FROM questions WHERE id = ?", (question_id,))

    def rate(self, user: User, question_id: int, rating: str, comment: str | None = None) -> Question:
        """Rate the answer (good or bad); this ends the question."""
        if rating not in RATINGS:
            raise BadInput(_("Rate the answer as good or bad."))
        if comment is not None:
            comment = clean_text(comment, "rating comment", RATING_COMMENT_MAX, allow_empty=True) or None
        now = self._now()
        with self.store.write():
            row = self._own_row(user, question_id, authored=True)
            refuse_to_rate(row)
            self.store.execute(
                "UPDATE questions SET status = 'closed', rating = ?, rating_comment = ?,"
                " rated_at = ?, closed_at = COALESCE(closed_at, ?), updated_at = ? WHERE id = ?",
                (rating, comment, now, now, now, question_id),
            )
        return self._question(user, question_id)

    def close_question(self, user: User, question_id: int) -> Question:
        """End one's question without rating it (it stays in the history)."""
        now = self._now()
        with self.store.write():
            row = self._own_row(user, question_id, authored=True)
            if row["status"] == "closed":
                raise Conflict(_("Question {id} is closed already.").format(id=question_id))
            self.store.execute(
                "UPDATE questions SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ?",
                (now, now, question_id),
            )
        return self._question(user, question_id)

    # -- attachments ------------------------------------------------------


def refuse_to_rate(row: Any) -> None:
    """Rating needs an answer that stands: refuse with the true reason (``details['reason']``)."""
    question_id = row["id"]
    if row["rating"] is not None:
        raise Conflict(
            _("Question {id} is rated already.").format(id=question_id),
            reason="rated",
            question_id=question_id,
        )
    if row["answered_at"] is not None and row["status"] in OPEN_STATUSES:
        # answered, then a follow-up put it back in the queue: the answer it had is not the last word
        raise Conflict(
            _(
                "Question {id} is back with support after your follow-up; "
                "you can rate the answer once the new one comes."
            ).format(id=question_id),
            reason="reopened",
            question_id=question_id,
        )
    if row["answered_at"] is None and row["status"] == "closed":
        raise Conflict(
            _("Question {id} was closed without an answer; there is nothing to rate.").format(id=question_id),
            reason="closed",
            question_id=question_id,
        )
    if row["answered_at"] is None or row["status"] in OPEN_STATUSES:
        raise Conflict(
            _("Question {id} has no answer to rate yet.").format(id=question_id),
            reason="no_answer",
            question_id=question_id,
        )


def refuse_if_open(store: Store, user: User) -> None:
    """Raise OpenQuestionExists if ``user`` has a waiting or in-progress question."""
    row = store.execute(
        "SELECT id FROM questions WHERE user_id = ? AND status IN ('waiting', 'in_progress')",
        (user.id,),
    ).fetchone()
    if row is not None:
        raise OpenQuestionExists(row["id"])


def repeated_question(
    store: Store, user: User, title: str, body: str, before: int | None = None
) -> int | None:
    """An earlier question of the user's that the new one seems to repeat (asked before
    question ``before``, when a replay looks again at what its first request saw)."""
    new = _word_set(f"{title} {body}")
    if not new:
        return None
    rows = store.execute(
        "SELECT id, title, body FROM questions WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT 200",
        (user.id, before if before is not None else 2**63 - 1),
    )
    for row in rows:
        old = _word_set(f"{row['title']} {row['body']}")
        if old and len(new & old) / len(new | old) >= 0.6:
            found: int = row["id"]
            return found
    return None


def require_unprocessed(row: Any, verb: str) -> None:
    """Refuse to edit or delete (``verb``: "edited" or "deleted") a question that is no longer
    waiting untaken, giving the true reason (models.edit_refusal)."""
    refusal = edit_refusal(row["id"], row["status"], row["taken_at"] is not None, verb)
    if refusal is not None:
        raise refusal


def _word_set(text: str) -> set[str]:
    # A crude stem (first six letters) is enough to notice a repeated question.
    return {word[:6] for word in _WORD.findall(text.lower())}
