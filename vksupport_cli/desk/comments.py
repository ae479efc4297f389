"""Comments and answers: a user adds details to their question (a follow-up on an answered one
puts it back in the queue); an agent answers a question they have taken."""

from __future__ import annotations

from ..errors import Conflict
from ..i18n import _
from . import idempotency
from .accounts import require_agent
from .inputs import COMMENT_MAX, check_id, clean_key, clean_text
from .models import Comment, Question, User
from .questions import refuse_if_open
from .records import DeskPart, iso, status_word
from .store import Store


class Comments(DeskPart):
    def comment(
        self, user: User, question_id: int, body: str, *, idempotency_key: str | None = None
    ) -> Comment:
        """Add details to one's question; on an answered one it is a follow-up that reopens it."""
        check_id(question_id)
        body = clean_text(body, "comment", COMMENT_MAX)
        key = clean_key(idempotency_key)
        # A comment's key is bound to its question and its text, as the desk cleaned it.
        request = idempotency.Request(idempotency.COMMENT, question_id, idempotency.fingerprint(body=body))
        moment = self.clock()
        now = iso(moment)
        with self.store.write():
            if key:
                idempotency.hold(self.store, user, key)
            if key and (earlier := idempotency.replayed(self.store, user, key, request, moment)) is not None:
                return self._comment(earlier)
            row = self._own_row(user, question_id, authored=True)
            if row["status"] == "closed":
                raise Conflict(
                    _("Question {id} is closed; ask a new question instead.").format(id=question_id),
                    reason="closed",
                )
            if row["status"] == "answered":
                refuse_if_open(self.store, user)
                try:
                    with self.store.savepoint():
                        self.store.execute(
                            "UPDATE questions SET status = 'waiting', agent_id = NULL,"
                            " queued_at = ?, updated_at = ?, pick = ? WHERE id = ?",
                            (now, now, self._pick(), question_id),
                        )
                except self.store.IntegrityError:
                    refuse_if_open(self.store, user)
                    raise
            else:
                self.store.execute("UPDATE questions SET updated_at = ? WHERE id = ?", (now, question_id))
            comment_id = add_comment(self.store, question_id, user.id, "comment", body, now)
            if key:
                idempotency.remember(self.store, user, key, request, comment_id, moment)
        return self._comment(comment_id)

    def answer(self, agent: User, question_id: int, body: str) -> Question:
        """Answer a question the agent has taken."""
        require_agent(agent)
        body = clean_text(body, "answer", COMMENT_MAX)
        now = self._now()
        with self.store.write():
            row = self._own_row(agent, question_id)
            if row["status"] != "in_progress":
                raise Conflict(
                    _("Question {id} is {status}; an agent answers only a question they have taken.").format(
                        id=question_id, status=status_word(row["status"])
                    )
                )
            if row["agent_id"] != agent.id:
                raise Conflict(_("Question {id} was taken by another agent.").format(id=question_id))
            add_comment(self.store, question_id, agent.id, "answer", body, now)
            self.store.execute(
                "UPDATE questions SET status = 'answered', answered_at = ?, updated_at = ? WHERE id = ?",
                (now, now, question_id),
            )
        return self._question(agent, question_id)


def add_comment(store: Store, question_id: int, author_id: int, kind: str, body: str, now: str) -> int:
    return store.insert(
        "INSERT INTO comments (question_id, author_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?)",
        (question_id, author_id, kind, body, now),
    )
