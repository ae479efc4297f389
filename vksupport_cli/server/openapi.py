"""The OpenAPI 3.0 description of the desk's API (served at /api/v1/openapi.json).

A committed copy lives in docs/openapi.json; a test keeps the two equal, and
the API fuzzing test drives the server from this very document.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


_TIME = {"type": "string", "format": "date-time"}
_ERRORS = {
    "400": {"$ref": "#/components/responses/Invalid"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "404": {"$ref": "#/components/responses/NotFound"},
    "429": {"$ref": "#/components/responses/RateLimited"},
}
_QUESTION_HEADERS = {
    "ETag": {"schema": {"type": "string"}},
    "X-Long-Poll-Max-Wait": {
        "description": "The longest ?wait= this desk grants, in seconds; absent: it holds no long-polls.",
        "schema": {"type": "integer"},
    },
}
_QID = {"name": "qid", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
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


_ERROR_RESPONSES = {
    "403": "Forbidden",
    "409": "Conflict",
    "413": "TooLarge",
    "422": "IdempotencyMismatch",
    "503": "Unavailable",
}


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    params: Iterable[dict[str, Any]] = (),
    body: dict[str, Any] | None = None,
    auth: bool = True,
    extra_errors: Iterable[str] = (),
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {**responses, **_ERRORS}}
    for code in extra_errors:
        operation["responses"][code] = {"$ref": f"#/components/responses/{_ERROR_RESPONSES[code]}"}
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "description": "A JSON object of at most 1 MiB.",
            "content": {"application/json": {"schema": body}},
        }
        operation["responses"]["413"] = {"$ref": "#/components/responses/TooLarge"}
    if not auth:
        operation["security"] = []
    return operation


def _error_response(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response = _json(_ref("Error"), description)
    if headers:
        response["headers"] = headers
    return response


@cache
def document() -> dict[str, Any]:
    from .. import __version__

    question_text = {"type": "string", "minLength": 1}
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
        "paths": {
            "/health": {
                "get": _op(
                    "Liveness, and this worker's long-polls",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "ok": {"type": "boolean"},
                                    "long_poll": {
                                        "type": "object",
                                        "properties": {
                                            "max_wait": {"type": "integer"},
                                            "waiting": {"type": "integer"},
                                        },
                                    },
                                },
                            }
                        )
                    },
                    auth=False,
                )
            },
            "/help/search": {
                "get": _op(
                    "Search the help centre",
                    {"200": _json({"type": "array", "items": _ref("SearchHit")})},
                    params=[
                        {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                        {"name": "category", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                    ],
                    auth=False,
                )
            },
            "/help/articles/{slug}": {
                "get": _op(
                    "One help article",
                    {"200": _json(_ref("Article"))},
                    params=[{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                    auth=False,
                )
            },
            "/help/topics": {
                "get": _op(
                    "Topics a question may take",
                    {"200": _json({"type": "array", "items": _ref("Topic")})},
                    auth=False,
                )
            },
            "/me": {"get": _op("The signed-in account", {"200": _json(_ref("User"))})},
            "/questions": {
                "get": _op(
                    "My questions, newest first (agents: all questions)",
                    {"200": _json(_ref("QuestionPage"))},
                    params=[
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": ["all", "open", "waiting", "in_progress", "answered", "closed"],
                            },
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                        },
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    ],
                ),
                "post": _op(
                    "Ask a question (one open question per user)",
                    {"201": _json(_ref("AskResult"), "Created")},
                    params=[_IDEMPOTENCY],
                    body={
                        "type": "object",
                        "required": ["topic", "title", "body"],
                        "properties": {
                            "topic": question_text,
                            "title": question_text,
                            "body": question_text,
                            "link": _nullable("string"),
                            "kind": {"type": "string", "enum": ["standard", "ads"]},
                        },
                    },
                    extra_errors=("409", "422", "503"),
                ),
            },
            "/questions/{qid}": {
                "get": _op(
                    "One question with its thread; ETag / If-None-Match give 304 when unchanged, "
                    "and with ?wait= the GET is a long-poll that answers as soon as the question changes",
                    {
                        "200": {**_json(_ref("Question")), "headers": _QUESTION_HEADERS},
                        "304": {
                            "description": "Not modified (after ?wait= seconds)",
                            "headers": _QUESTION_HEADERS,
                        },
                    },
                    params=[
                        _QID,
                        {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                        {
                            "name": "wait",
                            "in": "query",
                            "description": (
                                "Long-poll: with If-None-Match holding the current ETag, hold the request "
                                "until the question changes (200) or this many seconds pass (304). Capped "
                                "by the desk at X-Long-Poll-Max-Wait; a desk without that header ignores it."
                            ),
                            "schema": {"type": "integer", "minimum": 0, "maximum": 86400, "default": 0},
                        },
                    ],
                ),
                "patch": _op(
                    "Edit a question nobody has taken yet",
                    {"200": _json(_ref("Question"))},
                    params=[_QID],
                    body={
                        "type": "object",
                        "properties": {
                            "title": {"type": "string"},
                            "body": {"type": "string"},
                            "link": _nullable("string"),
                        },
                    },
                    extra_errors=("409",),
                ),
                "delete": _op(
                    "Delete a question nobody has taken yet",
                    {"204": {"description": "Deleted"}},
                    params=[_QID],
                    extra_errors=("409",),
                ),
            },
            "/questions/{qid}/comments": {
                "post": _op(
                    "Comment on one's question; on an answered one, a follow-up that reopens it",
                    {"201": _json(_ref("Comment"), "Created")},
                    params=[_QID, _IDEMPOTENCY],
                    body={"type": "object", "required": ["body"], "properties": {"body": question_text}},
                    extra_errors=("409", "422"),
                )
            },
            "/questions/{qid}/rating": {
                "post": _op(
                    "Rate the answer; closes the question",
                    {"200": _json(_ref("Question"))},
                    params=[_QID],
                    body={
                        "type": "object",
                        "required": ["rating"],
                        "properties": {
                            "rating": {"type": "string", "enum": ["good", "bad"]},
                            "comment": _nullable("string"),
                        },
                    },
                    extra_errors=("409",),
                )
            },
            "/questions/{qid}/close": {
                "post": _op(
                    "Close without rating",
                    {"200": _json(_ref("Question"))},
                    params=[_QID],
                    extra_errors=("409",),
                )
            },
            "/questions/{qid}/attachments": {
                "post": {
                    **_op(
                        "Attach a file: the raw bytes are the body, at most 10 MiB (413 as soon as a "
                        "body passes it); counts against the author's attachment quota (413 quota_exceeded)",
                        {"201": _json(_ref("Attachment"), "Created")},
                        params=[
                            _QID,
                            {
                                "name": "filename",
                                "in": "query",
                                "required": True,
                                "schema": {"type": "string"},
                            },
                        ],
                        extra_errors=("409", "413"),
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                }
            },
            "/questions/{qid}/attachments/{aid}": {
                "get": _op(
                    "Download an attachment (streamed; the question lists its size and sha256)",
                    {
                        "200": {
                            "description": "The file's bytes, streamed, with Content-Length and "
                            "Content-Disposition (its name)",
                            "content": {
                                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                            },
                        }
                    },
                    params=[
                        _QID,
                        {
                            "name": "aid",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        },
                    ],
                )
            },
            "/agent/take": {
                "post": _op(
                    "Take a waiting question: advertisers first, else at random",
                    {"200": _json(_ref("Question")), "204": {"description": "The queue is empty"}},
                    extra_errors=("403",),
                )
            },
            "/agent/queue": {
                "get": _op(
                    "Waiting questions, advertisers first, then oldest",
                    {"200": _json({"type": "array", "items": _ref("Question")})},
                    params=[
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                        }
                    ],
                    extra_errors=("403",),
                )
            },
            "/agent/questions/{qid}/answer": {
                "post": _op(
                    "Answer a question one has taken",
                    {"200": _json(_ref("Question"))},
                    params=[_QID],
                    body={"type": "object", "required": ["body"], "properties": {"body": question_text}},
                    extra_errors=("403", "409"),
                )
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Invalid": _error_response("Bad input (code: invalid)"),
                "Unauthorized": _error_response("No token, or a token the desk rejects (code: unauthorized)"),
                "Forbidden": _error_response("The account's role may not do this (code: not_allowed)"),
                "NotFound": _error_response("No such thing, or not yours (code: not_found)"),
                "Conflict": _error_response(
                    "open_question_exists (details.question_id), not_editable, or conflict"
                ),
                "IdempotencyMismatch": _error_response(
                    "The Idempotency-Key was first used for another request: another operation, question"
                    " or content (code: idempotency_mismatch, details.question_id)"
                ),
                "RateLimited": _error_response(
                    "Too many requests or failed sign-ins (code: rate_limited), or the author's questions "
                    "for the day are used up (code: daily_limit; details.limit, details.resets_at)",
                    {"Retry-After": {"schema": {"type": "integer"}}},
                ),
                "TooLarge": _error_response(
                    "The body is over its limit (code: too_large; details.limit in bytes), or the author's "
                    "attachment quota is used up (code: quota_exceeded; details.limit, details.resets_at)"
                ),
                "Unavailable": _error_response("The desk is not accepting questions (code: not_accepting)"),
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "details"],
                            "properties": {
                                "code": {
                                    "type": "string",
                                    "enum": [
                                        "invalid",
                                        "unauthorized",
                                        "not_allowed",
                                        "not_found",
                                        "conflict",
                                        "open_question_exists",
                                        "not_editable",
                                        "idempotency_mismatch",
                                        "rate_limited",
                                        "not_accepting",
                                        "unavailable",
                                    ],
                                },
                                "message": {"type": "string"},
                                "details": {"type": "object"},
                            },
                        }
                    },
                },
                "User": {
                    "type": "object",
                    "required": ["id", "name", "role"],
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "role": {"type": "string", "enum": ["user", "agent"]},
                    },
                },
                "SearchHit": {
                    "type": "object",
                    "required": ["slug", "title", "title_en", "category", "can_ask", "score", "snippet"],
                    "properties": {
                        "slug": {"type": "string"},
                        "title": {"type": "string"},
                        "title_en": {"type": "string"},
                        "category": {"type": "string"},
                        "can_ask": {"type": "boolean"},
                        "score": {"type": "number"},
                        "snippet": {"type": "string"},
                        "interpreted_as": _nullable(
                            "string",
                            description="The query as the search read it (layout, transliteration,"
                            " typo, a word of like meaning), or null when taken as typed.",
                        ),
                    },
                },
                "Article": {
                    "type": "object",
                    "required": ["slug", "category", "title", "title_en", "body", "tags", "can_ask"],
                    "properties": {
                        "slug": {"type": "string"},
                        "category": {"type": "string"},
                        "title": {"type": "string"},
                        "title_en": {"type": "string"},
                        "body": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "can_ask": {"type": "boolean"},
                    },
                },
                "Topic": {
                    "type": "object",
                    "required": ["slug", "title", "category", "kind"],
                    "properties": {
                        "slug": {"type": "string"},
                        "title": {"type": "string"},
                        "category": {"type": "string"},
                        "kind": {"type": "string", "enum": ["article", "category"]},
                    },
                },
                "Comment": {
                    "type": "object",
                    "required": ["id", "question_id", "author", "role", "kind", "body", "created_at"],
                    "properties": {
                        "id": {"type": "integer"},
                        "question_id": {"type": "integer"},
                        "author": {"type": "string"},
                        "role": {"type": "string", "enum": ["user", "agent"]},
                        "kind": {"type": "string", "enum": ["comment", "answer"]},
                        "body": {"type": "string"},
                        "created_at": _TIME,
                    },
                },
                "Attachment": {
                    "type": "object",
                    "required": [
                        "id",
                        "question_id",
                        "filename",
                        "content_type",
                        "size",
                        "sha256",
                        "created_at",
                    ],
                    "properties": {
                        "id": {"type": "integer"},
                        "question_id": {"type": "integer"},
                        "filename": {"type": "string"},
                        "content_type": {"type": "string"},
                        "size": {"type": "integer"},
                        "sha256": {"type": "string"},
                        "created_at": _TIME,
                    },
                },
                "Question": {
                    "type": "object",
                    "required": [
                        "id",
                        "author",
                        "kind",
                        "topic",
                        "title",
                        "body",
                        "status",
                        "created_at",
                        "updated_at",
                        "queued_at",
                        "unprocessed",
                        "comments",
                        "attachments",
                    ],
                    "properties": {
                        "id": {"type": "integer"},
                        "author": {"type": "string"},
                        "kind": {"type": "string", "enum": ["standard", "ads"]},
                        "topic": {"type": "string"},
                        "title": {"type": "string"},
                        "body": {"type": "string"},
                        "link": _nullable("string"),
                        "status": {
                            "type": "string",
                            "enum": ["waiting", "in_progress", "answered", "closed"],
                        },
                        "agent": _nullable("string"),
                        "created_at": _TIME,
                        "updated_at": _TIME,
                        "queued_at": _TIME,
                        "taken_at": _nullable("string", format="date-time"),
                        "answered_at": _nullable("string", format="date-time"),
                        "closed_at": _nullable("string", format="date-time"),
                        "rating": _nullable("string", enum=["good", "bad", None]),
                        "rating_comment": _nullable("string"),
                        "rated_at": _nullable("string", format="date-time"),
                        "unprocessed": {"type": "boolean"},
                        "expected_answer_by": _nullable("string", format="date-time"),
                        "comments": {"type": "array", "items": _ref("Comment")},
                        "attachments": {"type": "array", "items": _ref("Attachment")},
                    },
                },
                "QuestionPage": {
                    "type": "object",
                    "required": ["questions", "next_cursor"],
                    "properties": {
                        "questions": {"type": "array", "items": _ref("Question")},
                        "next_cursor": _nullable("string"),
                    },
                },
                "AskResult": {
                    "type": "object",
                    "required": ["question", "repeats"],
                    "properties": {"question": _ref("Question"), "repeats": _nullable("integer")},
                },
            },
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(document(), ensure_ascii=False, indent=2))
