"""The desk's records, as plain dataclasses that every layer can pass around.

``to_dict()`` is the one JSON shape of each record: the server sends it, the
http adapter reads it back with ``from_dict()``, the CLI prints it with
``--json``, and the API's document (server/openapi.py) describes it from these
very types. Timestamps are ISO-8601 UTC strings ending in ``Z``.

What a field's type cannot say (a timestamp's format, the values a status may
take, a limit) rides along as a ``Doc`` in ``Annotated``: the document shows it,
nothing checks it here (the desk's rules do, with their own messages). Plain
dataclasses rather than msgspec Structs or pydantic models: every CLI process
imports this module, and over the fast path's own imports msgspec adds ~10 ms of
start-up and pydantic ~40 ms (bench/wire_import.py); the server alone uses msgspec.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache
from types import UnionType
from typing import Annotated, Any, Self, Union, get_args, get_origin, get_type_hints

from ..errors import NotEditable
from ..i18n import _

STATUSES = ("waiting", "in_progress", "answered", "closed")
OPEN_STATUSES = ("waiting", "in_progress")
KINDS = ("standard", "ads")
#: The help-centre category of advertising: the only topics an ``ads`` question may take.
ADS_CATEGORY = "ads-business"
RATINGS = ("good", "bad")
ROLES = ("user", "agent")
TOPIC_KINDS = ("article", "category")
COMMENT_KINDS = ("comment", "answer")


class Doc:
    """What the API's document says of a field beyond its type; for readers and generators only.

    A plain class, not a dataclass: building a dataclass costs every CLI process ~0.4 ms.
    """

    __slots__ = ("description", "enum", "format", "max_length", "min_length")

    def __init__(
        self,
        *,
        format: str | None = None,
        enum: tuple[str, ...] = (),
        description: str | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
    ) -> None:
        self.format = format
        self.enum = enum
        self.description = description
        self.min_length = min_length
        self.max_length = max_length


#: An ISO-8601 UTC timestamp ("2026-11-26T12:00:00.000Z").
Time = Annotated[str, Doc(format="date-time")]


class Record:
    """Shared (de)serialisation for the dataclasses below."""

    def to_dict(self) -> dict[str, Any]:
        # One shallow copy of the fields, then only the nested ones converted:
        # dataclasses.asdict deep-copies every value and was half the server's
        # time for a list of questions.
        data = dict(self.__dict__)
        kind: type = type(self)  # a plain `type` for the cache (mypy sees type[Record] as unhashable)
        for name, shape in _nested_fields(kind):
            value = data[name]
            if value is None:
                continue
            if shape == "record":
                data[name] = value.to_dict()
            elif shape == "records":
                data[name] = [item.to_dict() for item in value]
            else:  # a list of plain values: a copy, so the dict never shares the record's list
                data[name] = list(value)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from JSON, checking every field's type: a reply of the wrong shape is refused."""
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__} must be a JSON object")
        values = {}
        kind: type = cls  # as in to_dict
        for name, hint in _field_hints(kind).items():
            if name not in data:
                continue  # a missing field with no default fails in the constructor
            values[name] = _checked(data[name], hint, f"{cls.__name__}.{name}")
            if values[name] is not None and name in _time_fields(kind):
                datetime.fromisoformat(values[name].replace("Z", "+00:00"))  # ValueError if not a time
        return cls(**values)


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


@cache
def _field_hints(kind: type) -> dict[str, Any]:
    hints = get_type_hints(kind)
    return {name: hints[name] for name in _field_names(kind)}


@cache
def _time_fields(kind: type) -> frozenset[str]:
    """The fields whose ``Doc`` says they hold a timestamp (``Time``, or ``Time | None``)."""
    hints = get_type_hints(kind, include_extras=True)
    return frozenset(name for name in _field_names(kind) if doc_of(hints[name]).format == "date-time")


def doc_of(hint: Any) -> Doc:
    """The ``Doc`` of a field's type (of its non-null part when it is optional), else an empty one."""
    if get_origin(hint) in (Union, UnionType):
        args = [arg for arg in get_args(hint) if arg is not type(None)]
        hint = args[0] if len(args) == 1 else hint
    docs = [meta for meta in getattr(hint, "__metadata__", ()) if isinstance(meta, Doc)]
    return docs[0] if docs else Doc()


def _checked(value: Any, hint: Any, where: str) -> Any:
    """``value`` if it has the type ``hint`` names (records are built, lists checked item by item)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, UnionType):
        if value is None and type(None) in args:
            return None
        (hint,) = [arg for arg in args if arg is not type(None)]
        return _checked(value, hint, where)
    if origin is list:
        if not isinstance(value, list):
            raise TypeError(f"{where} must be a list")
        return [_checked(item, args[0], where) for item in value]
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_dict(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise TypeError(f"{where} must be {hint.__name__}")
    return value


@cache
def _nested_fields(kind: type) -> tuple[tuple[str, str], ...]:
    """The fields to_dict converts: ("record" | "records" | "list") per field name."""
    nested = []
    for name, hint in _field_hints(kind).items():
        args = [arg for arg in get_args(hint) if arg is not type(None)]
        inner = args[0] if get_origin(hint) in (Union, UnionType) and len(args) == 1 else hint
        if get_origin(inner) is list:
            (item,) = get_args(inner)
            nested.append(
                (name, "records" if isinstance(item, type) and issubclass(item, Record) else "list")
            )
        elif isinstance(inner, type) and issubclass(inner, Record):
            nested.append((name, "record"))
    return tuple(nested)


@dataclass(frozen=True)
class User(Record):
    id: int
    name: str
    role: Annotated[str, Doc(enum=ROLES)]


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
    kind: Annotated[str, Doc(enum=TOPIC_KINDS)]


@dataclass(frozen=True)
class SearchHit(Record):
    slug: str
    title: str
    title_en: str
    category: str
    can_ask: bool
    score: float
    snippet: str
    #: The same on every hit of one search.
    interpreted_as: (
        Annotated[
            str,
            Doc(
                description="The query as the search read it, when that differs from what was typed"
                " (wrong keyboard layout, transliteration, a typo, a word of like meaning);"
                " null when taken as typed."
            ),
        ]
        | None
    ) = None


@dataclass(frozen=True)
class Comment(Record):
    id: int
    question_id: int
    author: str
    role: Annotated[str, Doc(enum=ROLES, description="Who wrote it.")]
    kind: Annotated[
        str, Doc(enum=COMMENT_KINDS, description="A comment (details, a follow-up) or an agent's answer.")
    ]
    body: str
    created_at: Time


@dataclass(frozen=True)
class Attachment(Record):
    id: int
    question_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: Time


@dataclass(frozen=True)
class Question(Record):
    id: int
    author: str
    kind: Annotated[str, Doc(enum=KINDS)]
    topic: str
    title: str
    body: str
    link: str | None
    status: Annotated[str, Doc(enum=STATUSES)]
    agent: str | None
    created_at: Time
    updated_at: Time
    queued_at: Annotated[
        str, Doc(format="date-time", description="Entered the queue (again after a follow-up).")
    ]
    taken_at: Annotated[str, Doc(format="date-time", description="First taken by an agent.")] | None
    answered_at: Annotated[str, Doc(format="date-time", description="The latest answer.")] | None
    closed_at: Time | None
    rating: Annotated[str, Doc(enum=RATINGS)] | None
    rating_comment: str | None
    rated_at: Time | None
    unprocessed: Annotated[bool, Doc(description="Never taken: may be edited or deleted while waiting.")]
    expected_answer_by: Annotated[str, Doc(format="date-time", description="While open.")] | None
    comments: list[Comment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def editable(self) -> bool:
        """Its author may still edit or delete it: waiting, and never taken by an agent."""
        return self.edit_refusal() is None

    def edit_refusal(self, verb: str = "edited") -> NotEditable | None:
        """Why its author may no longer edit (``verb`` "edited") or delete ("deleted") it, or None."""
        return edit_refusal(self.id, self.status, self.taken_at is not None, verb)

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


@dataclass(frozen=True)
class QuestionPage(Record):
    """One page of a question list; next_cursor fetches the next, if any."""

    questions: list[Question]
    next_cursor: str | None = None


def edit_refusal(question_id: int, status: str, taken: bool, verb: str) -> NotEditable | None:
    """The rule for editing and deleting, with the true reason: a question can be changed only while
    it waits and no agent has ever taken it. A closed question is refused as closed (whoever closed
    it, and whether or not an agent had taken it: no comment can help then); a taken one as taken.
    ``details['reason']`` says which ("closed" or "taken"); ``verb`` picks the whole sentence."""
    if status == "closed":
        closed = {
            "edited": _("Question {id} is closed and can no longer be edited; ask a new question instead."),
            "deleted": _("Question {id} is closed and can no longer be deleted."),
        }
        return NotEditable(closed[verb].format(id=question_id), reason="closed")
    if taken or status != "waiting":
        taken_words = {
            "edited": _(
                "Question {id} can no longer be edited: an agent has taken it. Add a comment instead."
            ),
            "deleted": _(
                "Question {id} can no longer be deleted: an agent has taken it. Add a comment instead."
            ),
        }
        return NotEditable(taken_words[verb].format(id=question_id), reason="taken")
    return None
