"""The API's own shapes: each request body, and the replies that are not desk records.

The desk's records (desk/models.py) are the other replies. Each shape is written
once, here or there, as a dataclass: the http adapter builds its requests from
these, the server decodes request bodies into them (server/app.py ``decode``),
and server/openapi.py generates the API's document from both modules. A field's
type and whether it has a default are the contract (a field without a default
is required); its ``Doc`` only describes, for readers and generators: the
lengths and values it names come from the desk's own constants, and the desk
alone enforces them, with its own messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from .desk.inputs import BODY_MAX, COMMENT_MAX, LINK_MAX, RATING_COMMENT_MAX, TITLE_MAX
from .desk.models import KINDS, RATINGS, Doc, Record
from .errors import DeskError

Link = Annotated[
    str,
    Doc(
        max_length=LINK_MAX,
        description="A web address (http or https); without a scheme, https:// is assumed.",
    ),
]


# -- requests ---------------------------------------------------------------------


@dataclass(frozen=True)
class NewQuestion(Record):
    """POST /questions. Attachments go up afterwards, one file per request."""

    topic: Annotated[str, Doc(min_length=1, description="A topic's slug, as GET /help/topics lists them.")]
    title: Annotated[str, Doc(min_length=1, max_length=TITLE_MAX, description="The summary.")]
    body: Annotated[str, Doc(min_length=1, max_length=BODY_MAX, description="The description.")]
    link: Link | None = None
    kind: (
        Annotated[
            str, Doc(enum=KINDS, description="An advertiser's question: ads; absent or null: standard.")
        ]
        | None
    ) = None


@dataclass(frozen=True)
class QuestionEdit(Record):
    """PATCH /questions/{qid}: the fields to change; an absent (or null) title or body stays as it is."""

    title: Annotated[str, Doc(min_length=1, max_length=TITLE_MAX)] | None = None
    body: Annotated[str, Doc(min_length=1, max_length=BODY_MAX)] | None = None
    link: (
        Annotated[str, Doc(max_length=LINK_MAX, description="null removes the link; absent keeps it.")] | None
    ) = None


@dataclass(frozen=True)
class NewComment(Record):
    """POST /questions/{qid}/comments."""

    body: Annotated[str, Doc(min_length=1, max_length=COMMENT_MAX)]


@dataclass(frozen=True)
class NewRating(Record):
    """POST /questions/{qid}/rating."""

    rating: Annotated[str, Doc(enum=RATINGS)]
    comment: Annotated[str, Doc(max_length=RATING_COMMENT_MAX)] | None = None


@dataclass(frozen=True)
class NewAnswer(Record):
    """POST /agent/questions/{qid}/answer."""

    body: Annotated[str, Doc(min_length=1, max_length=COMMENT_MAX)]


#: Every request body, for the server's decoder and the document.
REQUESTS: tuple[type[Record], ...] = (NewQuestion, QuestionEdit, NewComment, NewRating, NewAnswer)


# -- replies that are not desk records ------------------------------------------------


@dataclass(frozen=True)
class LongPoll(Record):
    max_wait: Annotated[int, Doc(description="The longest ?wait= granted, in seconds; 0: no long-polls.")]
    waiting: Annotated[int, Doc(description="Long-polls this worker holds now.")]


@dataclass(frozen=True)
class Health(Record):
    """GET /health."""

    ok: bool
    long_poll: LongPoll


def _codes(kind: type[DeskError]) -> list[str]:
    return [kind.code, *(code for sub in kind.__subclasses__() for code in _codes(sub))]


#: Every machine code an error reply may carry: one per error class of errors.py.
ERROR_CODES = tuple(sorted(set(_codes(DeskError))))


@dataclass(frozen=True)
class ErrorDetail(Record):
    code: Annotated[str, Doc(enum=ERROR_CODES)]
    message: Annotated[str, Doc(description="One sentence, in the language the desk speaks.")]
    details: Annotated[
        dict[str, Any], Doc(description="Per code: question_id, reason, limit, resets_at, retry_after.")
    ]


@dataclass(frozen=True)
class Error(Record):
    """Every error reply."""

    error: ErrorDetail
