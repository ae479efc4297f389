"""The desk's records, as plain dataclasses that every layer can pass around.

``to_dict()`` is the one JSON shape of each record: the server sends it, the
http adapter reads it back with ``from_dict()``, and the CLI prints it with
``--json``. Timestamps are ISO-8601 UTC strings ending in ``Z``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

STATUSES = ("waiting", "in_progress", "answered", "closed")
OPEN_STATUSES = ("waiting", "in_progress")
KINDS = ("standard", "ads")
RATINGS = ("good", "bad")
ROLES = ("user", "agent")


class Record:
    """Shared (de)serialisation for the dataclasses below."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        values = {k: v for k, v in data.items() if k in known}
        nested = getattr(cls, "_nested", {})
        for name, kind in nested.items():
            if values.get(name) is not None:
                values[name] = [kind.from_dict(item) for item in values[name]]
        return cls(**values)


@dataclass(frozen=True)
class User(Record):
    id: int
    name: str
    role: str


@dataclass(frozen=True)
class Article(Record):
    slug: str
    category: str
    title: str
    title_en: str
    body: str
    tags: list[str]
    can_ask: bool


@dataclass(frozen=True)
class Topic(Record):
    """What a question can be about: an article that lets one ask, or a whole category."""

    slug: str
    title: str
    category: str
    kind: str  # "article" or "category"


@dataclass(frozen=True)
class SearchHit(Record):
    slug: str
    title: str
    title_en: str
    category: str
    can_ask: bool
    score: float
    snippet: str


@dataclass(frozen=True)
class Comment(Record):
    id: int
    question_id: int
    author: str
    role: str  # "user" or "agent": who wrote it
    kind: str  # "comment" (details, follow-up) or "answer" (an agent's answer)
    body: str
    created_at: str


@dataclass(frozen=True)
class Attachment(Record):
    id: int
    question_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: str


@dataclass(frozen=True)
class Question(Record):
    id: int
    author: str
    kind: str
    topic: str
    title: str
    body: str
    link: str | None
    status: str
    agent: str | None
    created_at: str
    updated_at: str
    queued_at: str
    taken_at: str | None
    answered_at: str | None
    closed_at: str | None
    rating: str | None
    rating_comment: str | None
    rated_at: str | None
    unprocessed: bool
    expected_answer_by: str | None
    comments: list[Comment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    _nested = {"comments": Comment, "attachments": Attachment}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def editable(self) -> bool:
        """Its author may still edit or delete it: waiting, and never taken by an agent."""
        return self.unprocessed and self.status == "waiting"

    @property
    def answer(self) -> Comment | None:
        """The latest answer from an agent, if any."""
        answers = [c for c in self.comments if c.kind == "answer"]
        return answers[-1] if answers else None


@dataclass(frozen=True)
class AskResult(Record):
    """A new question, and an earlier one of the author's it seems to repeat."""

    question: Question
    repeats: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question.to_dict(), "repeats": self.repeats}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AskResult:
        return cls(Question.from_dict(data["question"]), data.get("repeats"))


@dataclass(frozen=True)
class QuestionPage(Record):
    """One page of a question list; ``next_cursor`` fetches the next, if any."""

    questions: list[Question]
    next_cursor: str | None = None

    _nested = {"questions": Question}
