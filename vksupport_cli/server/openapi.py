"""The OpenAPI 3.0 description of the desk's API, generated from the wire shapes.

Every body, request or reply, is a dataclass of desk/models.py or wire.py:
msgspec turns their types into JSON Schema, each field's ``Doc`` adds what a
type cannot say (a format, allowed values, limits from the desk's constants),
and the table below adds only what is HTTP: paths, parameters, status codes.
Two rules turn types into the contract: a request field without a default is
required; a reply carries every field of its record (``to_dict``), so all are.
OpenAPI 3.0 has no null type: a ``T | None`` becomes ``nullable``.

Served at /api/v1/openapi.json. docs/openapi.json is the committed copy:

    python -m vksupport_cli.server.openapi > docs/openapi.json

and tests/test_openapi.py fails when it is stale. The API fuzzing test drives
the server from this very document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any, get_args, get_type_hints

import msgspec

from ..desk.models import (
    Article,
    AskResult,
    Attachment,
    Comment,
    Doc,
    Question,
    QuestionPage,
    Record,
    SearchHit,
    Topic,
    User,
    doc_of,
)
from ..wire import REQUESTS, Error, Health, NewAnswer, NewComment, NewQuestion, NewRating, QuestionEdit

SCHEMAS = "#/components/schemas/"
#: The shapes of the document, and through them every record they hold.
SHAPES: tuple[type[Record], ...] = (
    Error,
    Health,
    User,
    SearchHit,
    Article,
    Topic,
    Question,
    QuestionPage,
    AskResult,
    Comment,
    Attachment,
    *REQUESTS,
)


def _ref(kind: type[Record]) -> dict[str, Any]:
    return {"$ref": SCHEMAS + kind.__name__}


def _list(kind: type[Record]) -> dict[str, Any]:
    return {"type": "array", "items": _ref(kind)}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict[str, Any], *, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        **({"required": True} if required else {}),
        "schema": schema,
        **extra,
    }


def _whole(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


_BINARY = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
_QUESTION_HEADERS = {
    "ETag": {"schema": {"type": "string"}},
    "X-Long-Poll-Max-Wait": {
        "description": "The longest ?wait= this desk grants, in seconds; absent: it holds no long-polls.",
        "schema": {"type": "integer"},
    },
}
_QID = {"name": "qid", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_AID = {"name": "aid", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Replaying a key with the same request returns the first result and creates nothing new;"
        " the same key with another target or content is refused (422 idempotency_mismatch)."
        " A key is remembered for 24 hours."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}
_LONG_POLL = _query(
    "wait",
    {"type": "integer", "minimum": 0, "maximum": 86400, "default": 0},
    description=(
        "Long-poll: with If-None-Match holding the current ETag, hold the request until the question"
        " changes (200) or this many seconds pass (304). Capped by the desk at X-Long-Poll-Max-Wait;"
        " a desk without that header ignores it."
    ),
)
_LIST_STATUSES = ["all", "open", "waiting", "in_progress", "answered", "closed"]

#: Error replies: status -> (component name, description). 400, 401, 404 and 429 may answer anything.
_ERRORS = {
    "400": ("Invalid", "Bad input (code: invalid)"),
    "401": ("Unauthorized", "No token, or a token the desk rejects (code: unauthorized)"),
    "403": ("Forbidden", "The account's role may not do this (code: not_allowed)"),
    "404": ("NotFound", "No such thing, or not yours (code: not_found)"),
    "409": ("Conflict", "open_question_exists (details.question_id), not_editable, or conflict"),
    "413": (
        "TooLarge",
        "The body is over its limit (code: too_large; details.limit in bytes), or the author's "
        "attachment quota is used up (code: quota_exceeded; details.limit, details.resets_at)",
    ),
    "422": (
        "IdempotencyMismatch",
        "The Idempotency-Key was first used for another request: another operation, question"
        " or content (code: idempotency_mismatch, details.question_id)",
    ),
    "429": (
        "RateLimited",
        "Too many requests or failed sign-ins (code: rate_limited), or the author's questions "
        "for the day are used up (code: daily_limit; details.limit, details.resets_at)",
    ),
    "503": ("Unavailable", "The desk is not accepting questions (code: not_accepting)"),
}
_ALWAYS = ("400", "401", "404", "429")


def _op(
    name: str,
    summary: str,
    replies: dict[str, Any],
    *,
    params: Iterable[dict[str, Any]] = (),
    body: type[Record] | None = None,
    auth: bool = True,
    errors: Iterable[str] = (),
) -> dict[str, Any]:
    """One operation: its replies, then the errors it may answer with (each a shared response)."""
    codes = {*_ALWAYS, *errors, *(("413",) if body is not None else ())}
    responses = {
        **replies,
        **{code: {"$ref": f"#/components/responses/{_ERRORS[code][0]}"} for code in codes},
    }
    operation: dict[str, Any] = {
        "operationId": name,  # the handler's name in server/app.py: what generated clients call
        "summary": summary,
        "responses": dict(sorted(responses.items())),
    }
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "description": "A JSON object of at most 1 MiB.",
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if not auth:
        operation["security"] = []
    return operation


def _paths() -> dict[str, Any]:
    question = _json(_ref(Question))
    return {
        "/health": {
            "get": _op(
                "health", "Liveness, and this worker's long-polls", {"200": _json(_ref(Health))}, auth=False
            )
        },
        "/help/search": {
            "get": _op(
                "search_help",
                "Search the help centre",
                {"200": _json(_list(SearchHit))},
                params=[
                    _query("q", {"type": "string"}, required=True),
                    _query("category", {"type": "string"}),
                    _query("limit", _whole(1, 100)),
                ],
                auth=False,
            )
        },
        "/help/articles/{slug}": {
            "get": _op(
                "get_article",
                "One help article",
                {"200": _json(_ref(Article))},
                params=[{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                auth=False,
            )
        },
        "/help/topics": {
            "get": _op("list_topics", "Topics a question may take", {"200": _json(_list(Topic))}, auth=False)
        },
        "/me": {"get": _op("me", "The signed-in account", {"200": _json(_ref(User))})},
        "/questions": {
            "get": _op(
                "list_questions",
                "My questions, newest first (agents: all questions)",
                {"200": _json(_ref(QuestionPage))},
                params=[
                    _query("status", {"type": "string", "enum": _LIST_STATUSES}),
                    _query("limit", _whole(1, 1000)),
                    _query("cursor", {"type": "string"}),
                ],
            ),
            "post": _op(
                "create_question",
                "Ask a question (one open question per user)",
                {"201": _json(_ref(AskResult), "Created")},
                params=[_IDEMPOTENCY],
                body=NewQuestion,
                errors=("409", "422", "503"),
            ),
        },
        "/questions/{qid}": {
            "get": _op(
                "get_question",
                "One question with its thread; ETag / If-None-Match give 304 when unchanged, "
                "and with ?wait= the GET is a long-poll that answers as soon as the question changes",
                {
                    "200": {**question, "headers": _QUESTION_HEADERS},
                    "304": {
                        "description": "Not modified (after ?wait= seconds)",
                        "headers": _QUESTION_HEADERS,
                    },
                },
                params=[
                    _QID,
                    {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                    _LONG_POLL,
                ],
            ),
            "patch": _op(
                "edit_question",
                "Edit a question nobody has taken yet",
                {"200": question},
                params=[_QID],
                body=QuestionEdit,
                errors=("409",),
            ),
            "delete": _op(
                "delete_question",
                "Delete a question nobody has taken yet",
                {"204": {"description": "Deleted"}},
                params=[_QID],
                errors=("409",),
            ),
        },
        "/questions/{qid}/comments": {
            "post": _op(
                "add_comment",
                "Comment on one's question; on an answered one, a follow-up that reopens it",
                {"201": _json(_ref(Comment), "Created")},
                params=[_QID, _IDEMPOTENCY],
                body=NewComment,
                errors=("409", "422"),
            )
        },
        "/questions/{qid}/rating": {
            "post": _op(
                "rate_question",
                "Rate the answer; closes the question",
                {"200": question},
                params=[_QID],
                body=NewRating,
                errors=("409",),
            )
        },
        "/questions/{qid}/close": {
            "post": _op(
                "close_question", "Close without rating", {"200": question}, params=[_QID], errors=("409",)
            )
        },
        "/questions/{qid}/attachments": {
            "post": {
                **_op(
                    "upload_attachment",
                    "Attach a file: the raw bytes are the body, at most 10 MiB (413 as soon as a "
                    "body passes it); counts against the author's attachment quota (413 quota_exceeded)",
                    {"201": _json(_ref(Attachment), "Created")},
                    params=[_QID, _query("filename", {"type": "string"}, required=True)],
                    errors=("409", "413"),
                ),
                "requestBody": {"required": True, "content": _BINARY},
            }
        },
        "/questions/{qid}/attachments/{aid}": {
            "get": _op(
                "download_attachment",
                "Download an attachment (streamed; the question lists its size and sha256)",
                {
                    "200": {
                        "description": "The file's bytes, streamed, with Content-Length and "
                        "Content-Disposition (its name)",
                        "content": _BINARY,
                    }
                },
                params=[_QID, _AID],
            )
        },
        "/agent/take": {
            "post": _op(
                "agent_take",
                "Take a waiting question: advertisers first, else at random",
                {"200": question, "204": {"description": "The queue is empty"}},
                errors=("403",),
            )
        },
        "/agent/queue": {
            "get": _op(
                "agent_queue",
                "Waiting questions, advertisers first, then oldest",
                {"200": _json(_list(Question))},
                params=[_query("limit", _whole(1, 1000))],
                errors=("403",),
            )
        },
        "/agent/questions/{qid}/answer": {
            "post": _op(
                "agent_answer",
                "Answer a question one has taken",
                {"200": question},
                params=[_QID],
                body=NewAnswer,
                errors=("403", "409"),
            )
        },
    }


# -- the shapes: msgspec's JSON Schema of the dataclasses, then each field's Doc, in OpenAPI 3.0 --


def _records(roots: Iterable[type[Record]]) -> dict[str, type[Record]]:
    """Every record the roots hold, directly or in lists, by name (the component's name)."""
    found: dict[str, type[Record]] = {}
    pending = list(roots)
    while pending:
        kind = pending.pop()
        if found.setdefault(kind.__name__, kind) is not kind:
            raise ValueError(f"two shapes named {kind.__name__}")
        for hint in get_type_hints(kind).values():
            pending.extend(inner for inner in _held(hint) if inner.__name__ not in found)
    return found


def _held(hint: Any) -> list[type[Record]]:
    """The records a field's type names: itself, or inside a list or an optional."""
    if isinstance(hint, type) and issubclass(hint, Record):
        return [hint]
    return [kind for arg in get_args(hint) for kind in _held(arg)]


def _doc_schema(doc: Doc) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    if doc.format:
        schema["format"] = doc.format
    if doc.enum:
        schema["enum"] = list(doc.enum)
    if doc.min_length is not None:
        schema["minLength"] = doc.min_length
    if doc.max_length is not None:
        schema["maxLength"] = doc.max_length
    if doc.description:
        schema["description"] = doc.description
    return schema


def _openapi30(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [T, {type: null}]`` (JSON Schema) as ``T`` with ``nullable`` (OpenAPI 3.0)."""
    options = schema.get("anyOf")
    if options and {"type": "null"} in options and len(options) == 2:
        (inner,) = [option for option in options if option != {"type": "null"}]
        if "type" not in inner:  # a nullable $ref has no faithful OpenAPI 3.0 form
            raise ValueError(f"cannot say {schema} in OpenAPI 3.0")
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        schema = {**inner, "nullable": True, **rest}
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]  # a null must be among the values too
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = _openapi30(schema[key])
    return schema


def _with_doc(schema: dict[str, Any], hint: Any) -> dict[str, Any]:
    """A property's schema with its field's Doc merged in (into the non-null option of an optional)."""
    extra = _doc_schema(doc_of(hint))
    if not extra:
        return schema
    if "anyOf" in schema:
        options = [
            option if option == {"type": "null"} else {**option, **extra} for option in schema["anyOf"]
        ]
        return {**schema, "anyOf": options}
    return {**schema, **extra}


def _components() -> dict[str, Any]:
    records = _records(SHAPES)
    requests = {kind.__name__ for kind in REQUESTS}
    _roots, schemas = msgspec.json.schema_components(
        sorted(records.values(), key=lambda kind: kind.__name__), ref_template=SCHEMAS + "{name}"
    )
    shaped = {}
    for name in sorted(schemas):
        schema = {key: value for key, value in schemas[name].items() if key != "title"}
        hints = get_type_hints(records[name], include_extras=True)
        properties = {}
        for field, prop in schema["properties"].items():
            if name not in requests:
                prop = {key: value for key, value in prop.items() if key != "default"}
            properties[field] = _openapi30(_with_doc(prop, hints[field]))
        schema["properties"] = properties
        if name not in requests:
            schema["required"] = list(properties)  # a reply carries every field of its record
        if not schema.get("required"):
            schema.pop("required", None)  # OpenAPI 3.0 wants at least one name in a required list
        shaped[name] = schema
    return shaped


@cache
def document() -> dict[str, Any]:
    from .. import __version__

    return {
        "openapi": "3.0.3",
        "info": {
            "title": "vksupport desk API",
            "version": __version__,
            "description": "The support desk over HTTP: help-centre search, questions, comments, "
            "ratings, attachments and the agents' queue. Every error is one JSON shape with a "
            "machine code. Authenticate with 'Authorization: Bearer TOKEN' "
            "(tokens come from `vksupport desk add-user`).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                name: _json(_ref(Error), description)
                | ({"headers": {"Retry-After": {"schema": {"type": "integer"}}}} if code == "429" else {})
                for code, (name, description) in _ERRORS.items()
            },
            "schemas": _components(),
        },
    }


def text() -> str:
    """The document as docs/openapi.json holds it."""
    return json.dumps(document(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(text())
