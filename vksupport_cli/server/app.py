"""The reference server: the desk over a JSON HTTP API (Starlette, served by uvicorn).

Handlers only translate: read the request, call the desk, write the reply. The
desk is called directly from async handlers, so one worker process serves one
request at a time against its database (writes are serial in SQLite anyway);
more throughput comes from more worker processes, or more nodes on one
PostgreSQL, which stay correct because the rules are the database's. What a
worker keeps for itself is its rate-limit buckets (per node, see the README's
"Deploying a desk") and, on PostgreSQL, its help-search index, rebuilt when
the articles change.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal, overload

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..desk.models import User
from ..desk.service import Desk
from ..errors import BadInput, DeskError, NotFound, NotSignedIn, RateLimited
from ..i18n import _
from .errors import error_body, status_for
from .openapi import document as openapi_document

PREFIX = "/api/v1"
DB_ENV = "VKSUPPORT_DESK_DB"
RATE_ENV = "VKSUPPORT_RATE_LIMIT"  # requests per second per token; burst is twice that
MAX_JSON_BYTES = 64 * 1024 * 1024  # a question with ten 10 MiB attachments in base64 fits
MAX_UPLOAD_BYTES = 11 * 1024 * 1024  # one attachment (the desk's limit is 10 MiB) plus slack

Handler = Callable[[Request], Awaitable[Response]]


class TokenBuckets:
    """A per-key token bucket: ``rate`` requests a second, bursts up to ``2 * rate``."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = max(1.0, 2 * rate)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> None:
        if self.rate <= 0:
            return
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            retry_after = max(1, int((1 - tokens) / self.rate + 0.999))
            raise RateLimited(_("Too many requests."), retry_after=retry_after)
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > 100_000:  # forget idle keys rather than grow without bound
            self._buckets.clear()


def create_app(db_path: str | None = None, *, rate_limit: float | None = None) -> Starlette:
    """The ASGI app over the desk at ``db_path`` (default: $VKSUPPORT_DESK_DB)."""
    path = db_path or os.environ.get(DB_ENV)
    if not path:
        raise RuntimeError(f"No desk database: pass db_path or set {DB_ENV}.")
    limit = rate_limit if rate_limit is not None else float(os.environ.get(RATE_ENV, "50"))
    state: dict[str, Desk | None] = {"desk": None}
    buckets = TokenBuckets(limit)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["desk"] = opened = Desk.open(path)
        yield
        opened.close()

    def desk() -> Desk:
        opened = state["desk"]
        if opened is None:  # used without lifespan (some test clients)
            opened = state["desk"] = Desk.open(path)
        return opened

    def endpoint(handler: Callable[..., Awaitable[Response]], *, auth: bool = True) -> Handler:
        """Wrap a handler: authenticate, rate-limit, map desk errors to their status."""

        async def run(request: Request) -> Response:
            try:
                if auth:
                    user = _authenticate(desk(), request)
                    buckets.take(f"user:{user.id}")
                    return await handler(request, desk(), user)
                buckets.take(f"ip:{request.client.host if request.client else '-'}")
                return await handler(request, desk())
            except DeskError as error:
                return _error_reply(error)

        run.__name__ = handler.__name__
        return run

    routes = [
        Route(f"{PREFIX}/health", _health, methods=["GET"]),
        Route(f"{PREFIX}/openapi.json", _openapi, methods=["GET"]),
        Route(f"{PREFIX}/help/search", endpoint(search_help, auth=False), methods=["GET"]),
        Route(f"{PREFIX}/help/articles/{{slug}}", endpoint(get_article, auth=False), methods=["GET"]),
        Route(f"{PREFIX}/help/topics", endpoint(list_topics, auth=False), methods=["GET"]),
        Route(f"{PREFIX}/me", endpoint(me), methods=["GET"]),
        Route(f"{PREFIX}/questions", endpoint(list_questions), methods=["GET"]),
        Route(f"{PREFIX}/questions", endpoint(create_question), methods=["POST"]),
        Route(f"{PREFIX}/questions/{{qid}}", endpoint(get_question), methods=["GET"]),
        Route(f"{PREFIX}/questions/{{qid}}", endpoint(edit_question), methods=["PATCH"]),
        Route(f"{PREFIX}/questions/{{qid}}", endpoint(delete_question), methods=["DELETE"]),
        Route(f"{PREFIX}/questions/{{qid}}/comments", endpoint(add_comment), methods=["POST"]),
        Route(f"{PREFIX}/questions/{{qid}}/rating", endpoint(rate_question), methods=["POST"]),
        Route(f"{PREFIX}/questions/{{qid}}/close", endpoint(close_question), methods=["POST"]),
        Route(f"{PREFIX}/questions/{{qid}}/attachments", endpoint(upload_attachment), methods=["POST"]),
        Route(
            f"{PREFIX}/questions/{{qid}}/attachments/{{aid}}", endpoint(download_attachment), methods=["GET"]
        ),
        Route(f"{PREFIX}/agent/take", endpoint(agent_take), methods=["POST"]),
        Route(f"{PREFIX}/agent/queue", endpoint(agent_queue), methods=["GET"]),
        Route(f"{PREFIX}/agent/questions/{{qid}}/answer", endpoint(agent_answer), methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_allowed_method, 500: _server_error},
    )
    return app


# -- plumbing -----------------------------------------------------------------


def _reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _error_reply(error: DeskError) -> Response:
    headers = {}
    if "retry_after" in error.details:
        headers["Retry-After"] = str(error.details["retry_after"])
    if status_for(error) == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="vksupport"'
    return _reply(error_body(error), status_for(error), headers)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error_reply(NotFound(_("There is no {path} on this desk.").format(path=request.url.path)))


async def _not_allowed_method(request: Request, exc: Exception) -> Response:
    message = _("{method} is not allowed here.").format(method=request.method)
    return _reply({"error": {"code": "invalid", "message": message, "details": {}}}, 405)


async def _server_error(request: Request, exc: Exception) -> Response:
    message = _("The desk failed on this request.")
    return _reply({"error": {"code": "unavailable", "message": message, "details": {}}}, 500)


def _authenticate(desk: Desk, request: Request) -> User:
    header = request.headers.get("authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn(_("This request needs a token: send 'Authorization: Bearer TOKEN'."))
    return desk.user_by_token(token.strip())


def _question_id(request: Request, name: str = "qid") -> int:
    text = request.path_params[name]
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) == 0:
        raise NotFound(_("There is no question {id}.").format(id=text))
    return int(text)


async def _json(request: Request) -> dict[str, Any]:
    raw = await _read_body(request, MAX_JSON_BYTES)
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadInput(_("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise BadInput(_("The request body must be a JSON object."))
    return data


async def _read_body(request: Request, limit: int) -> bytes:
    too_big = _("The request body is over {limit} MiB.").format(limit=limit // (1024 * 1024))
    declared = request.headers.get("content-length")
    if declared is not None and (not (declared.isascii() and declared.isdigit()) or int(declared) > limit):
        raise BadInput(too_big)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadInput(too_big)
        chunks.append(chunk)
    return b"".join(chunks)


@overload
def _text(
    data: dict[str, Any], name: str, *, required: Literal[True] = True, nullable: bool = False
) -> str: ...
@overload
def _text(data: dict[str, Any], name: str, *, required: bool, nullable: bool = False) -> str | None: ...
def _text(data: dict[str, Any], name: str, *, required: bool = True, nullable: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise BadInput(_("'{name}' is required.").format(name=name))
        return None
    if not isinstance(value, str):
        message = _("'{name}' must be a string or null.") if nullable else _("'{name}' must be a string.")
        raise BadInput(message.format(name=name))
    return value


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise BadInput(
            _("'{name}' must be a whole number from {low} to {high}.").format(name=name, low=low, high=high)
        )
    return int(text)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _idempotency_key(request: Request) -> str | None:
    return request.headers.get("idempotency-key")


# -- handlers -------------------------------------------------------------------


async def _health(request: Request) -> Response:
    return _reply({"ok": True})


async def _openapi(request: Request) -> Response:
    return _reply(openapi_document())


async def search_help(request: Request, desk: Desk) -> Response:
    query = request.query_params.get("q", "")
    category = request.query_params.get("category") or None
    limit = _int_param(request, "limit", 10, 1, 100)
    return _reply([hit.to_dict() for hit in desk.search_help(query, category=category, limit=limit)])


async def get_article(request: Request, desk: Desk) -> Response:
    return _reply(desk.article(request.path_params["slug"]).to_dict())


async def list_topics(request: Request, desk: Desk) -> Response:
    return _reply([topic.to_dict() for topic in desk.topics()])


async def me(request: Request, desk: Desk, user: User) -> Response:
    return _reply(user.to_dict())


async def list_questions(request: Request, desk: Desk, user: User) -> Response:
    page = desk.list_questions(
        user,
        status=request.query_params.get("status", "all"),
        limit=_int_param(request, "limit", 20, 1, 1000),
        cursor=request.query_params.get("cursor"),
    )
    return _reply(page.to_dict())


async def create_question(request: Request, desk: Desk, user: User) -> Response:
    data = await _json(request)
    attachments = []
    for item in data.get("attachments") or []:
        if not isinstance(item, dict):
            raise BadInput(_("Each attachment is an object with 'filename' and 'content_base64'."))
        try:
            content = base64.b64decode(_text(item, "content_base64"), validate=True)
        except (binascii.Error, ValueError):
            raise BadInput(_("An attachment's 'content_base64' is not valid base64.")) from None
        attachments.append((_text(item, "filename"), content))
    result = desk.ask(
        user,
        topic=_text(data, "topic"),
        title=_text(data, "title"),
        body=_text(data, "body"),
        link=_text(data, "link", required=False, nullable=True),
        kind=_text(data, "kind", required=False) or "standard",
        attachments=attachments,
        idempotency_key=_idempotency_key(request),
    )
    return _reply(result.to_dict(), 201)


async def get_question(request: Request, desk: Desk, user: User) -> Response:
    question = desk.get_question(user, _question_id(request))
    body = json.dumps(question.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
    etag = _etag(body)
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag, "Cache-Control": "no-cache"})


async def edit_question(request: Request, desk: Desk, user: User) -> Response:
    data = await _json(request)
    clear_link = "link" in data and data["link"] is None
    question = desk.edit_question(
        user,
        _question_id(request),
        title=_text(data, "title", required=False),
        body=_text(data, "body", required=False),
        link=_text(data, "link", required=False, nullable=True),
        clear_link=clear_link,
    )
    return _reply(question.to_dict())


async def delete_question(request: Request, desk: Desk, user: User) -> Response:
    desk.delete_question(user, _question_id(request))
    return Response(status_code=204)


async def add_comment(request: Request, desk: Desk, user: User) -> Response:
    data = await _json(request)
    comment = desk.comment(
        user, _question_id(request), _text(data, "body"), idempotency_key=_idempotency_key(request)
    )
    return _reply(comment.to_dict(), 201)


async def rate_question(request: Request, desk: Desk, user: User) -> Response:
    data = await _json(request)
    question = desk.rate(
        user,
        _question_id(request),
        _text(data, "rating"),
        _text(data, "comment", required=False, nullable=True),
    )
    return _reply(question.to_dict())


async def close_question(request: Request, desk: Desk, user: User) -> Response:
    return _reply(desk.close_question(user, _question_id(request)).to_dict())


async def upload_attachment(request: Request, desk: Desk, user: User) -> Response:
    filename = request.query_params.get("filename", "")
    content = await _read_body(request, MAX_UPLOAD_BYTES)
    attachment = desk.attach(user, _question_id(request), filename, content)
    return _reply(attachment.to_dict(), 201)


async def download_attachment(request: Request, desk: Desk, user: User) -> Response:
    aid = request.path_params["aid"]
    if not (aid.isascii() and aid.isdigit()) or len(aid) > 18:
        raise NotFound(_("There is no attachment {id}.").format(id=aid))
    meta, content = desk.attachment_content(user, _question_id(request), int(aid))
    disposition = "attachment; filename*=UTF-8''" + _quote(meta.filename)
    return Response(
        content,
        media_type=meta.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


async def agent_take(request: Request, desk: Desk, user: User) -> Response:
    question = desk.take(user)
    return Response(status_code=204) if question is None else _reply(question.to_dict())


async def agent_queue(request: Request, desk: Desk, user: User) -> Response:
    questions = desk.queue(user, limit=_int_param(request, "limit", 100, 1, 1000))
    return _reply([q.to_dict() for q in questions])


async def agent_answer(request: Request, desk: Desk, user: User) -> Response:
    data = await _json(request)
    return _reply(desk.answer(user, _question_id(request), _text(data, "body")).to_dict())


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
