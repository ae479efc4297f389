"""The reference server: the desk over a JSON HTTP API (Starlette, served by uvicorn).

Handlers only translate: read the request (on the event loop), call the desk,
write the reply. Every desk call runs in the worker's thread pool (pool.py:
``await desk.run(Desk.method, ...)``, as the user the request's token names,
checked in the same trip to a thread), so a slow one (a large attachment going
into the database, a write waiting for a lock) never holds the event loop:
other requests and the pending long-polls go on. More throughput comes from
more worker processes, or more nodes on one PostgreSQL, which stay correct
because the rules are the database's. What a worker keeps for itself is its
rate-limit buckets (per node, see the README's "Deploying a desk") and, on
PostgreSQL, its help-search index, rebuilt when the articles change.

No request body is ever held whole beyond a small bound: JSON bodies are capped
at ``MAX_JSON_BYTES`` while they arrive, and an attachment goes up as its own
request whose body is counted as it arrives (413 the moment it passes the
limit) and spooled to a temporary file that the desk reads in chunks. A JSON body is
decoded into its wire shape (wire.py, the same one the API's document shows):
a field of the wrong type, or a required one missing, is a 400 naming it; the
desk checks lengths and values.

The question GET is also a long-poll (``?wait=SECONDS`` with If-None-Match):
it answers as soon as the question changes, woken by push.py's one watcher per
worker (PostgreSQL's LISTEN/NOTIFY, or a watch on the SQLite file), and holds
neither the event loop nor a thread while it waits. A desk whose changes
cannot be noticed (an in-memory one) does not advertise it, and clients poll.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import os
import re
import tempfile
import threading
import time
from asyncio import get_running_loop
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from types import UnionType
from typing import IO, Any, TypeVar, Union, get_args, get_origin, get_type_hints

import msgspec
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..desk.changes import open_watch, version_of
from ..desk.limits import Limits
from ..desk.models import OPEN_STATUSES, Record, User
from ..desk.service import ATTACHMENT_MAX_BYTES, Desk
from ..errors import BadInput, DeskError, NotFound, NotSignedIn, RateLimited, TooLarge
from ..i18n import _
from ..wire import Health, LongPoll, NewAnswer, NewComment, NewQuestion, NewRating, QuestionEdit
from .errors import error_body, reply_error, status_for
from .items import EncodedItems, KeptByRevision
from .openapi import document as openapi_document
from .pool import DeskPool, SignedIn, threads_from_env
from .push import QuestionWatch

PREFIX = "/api/v1"
DB_ENV = "VKSUPPORT_DESK_DB"
RATE_ENV = "VKSUPPORT_RATE_LIMIT"  # requests per second per token; burst is twice that
AUTH_FAILURES_ENV = "VKSUPPORT_AUTH_FAILURES"  # failed sign-ins a minute per client address
DEFAULT_AUTH_FAILURES = 20.0
MAX_JSON_BYTES = 1024 * 1024  # far beyond any question's text; attachments are not JSON
MAX_UPLOAD_BYTES = ATTACHMENT_MAX_BYTES  # one attachment; 413 the moment a body passes it
SPOOL_IN_MEMORY = 256 * 1024  # an upload's first bytes stay in memory, the rest go to a temporary file
LONG_POLL_ENV = "VKSUPPORT_LONG_POLL_MAX"  # the longest ?wait= granted, in seconds; 0 turns long-polls off
LONG_POLL_MAX = 60
#: On every question GET: the longest ?wait= this desk grants (absent: no long-poll, poll instead).
LONG_POLL_HEADER = "X-Long-Poll-Max-Wait"

Handler = Callable[[Request], Awaitable[Response]]

#: Replies as compact UTF-8 JSON: the bytes ``json.dumps(data, ensure_ascii=False,
#: separators=(",", ":")).encode()`` gives, about 9x faster on a list page of Russian text.
_encode = msgspec.json.Encoder().encode
W = TypeVar("W", bound=Record)  # a wire shape


class TokenBuckets:
    """A per-key token bucket: ``rate`` requests a second, bursts up to ``2 * rate``."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = max(1.0, 2 * rate)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()  # taken in desk threads (SignedIn's admit)

    def take(self, key: str) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            self._take(key)

    def _take(self, key: str) -> None:
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            retry_after = max(1, int((1 - tokens) / self.rate + 0.999))
            raise RateLimited(_("Too many requests."), retry_after=retry_after)
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > 100_000:  # forget idle keys rather than grow without bound
            self._buckets.clear()


class FailureLimit:
    """Failed sign-ins per client address: ``per_minute`` of them, in bursts up to that many.

    ``check`` refuses an address that has used them up (before its token is even
    looked at, so guessing gets no answers); ``failed`` counts one more.
    """

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = max(1.0, per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def _tokens(self, key: str) -> float:
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def check(self, key: str) -> None:
        if self.rate <= 0:
            return
        tokens = self._tokens(key)
        if tokens < 1:
            retry_after = max(1, int((1 - tokens) / self.rate + 0.999))
            raise RateLimited(
                _("Too many failed sign-ins from your address; try again in {seconds} s.").format(
                    seconds=retry_after
                ),
                retry_after=retry_after,
            )

    def failed(self, key: str) -> None:
        if self.rate <= 0:
            return
        self._buckets[key] = (self._tokens(key) - 1, self.clock())
        if len(self._buckets) > 100_000:
            self._buckets.clear()


def create_app(
    db_path: str | None = None, *, rate_limit: float | None = None, auth_failures: float | None = None
) -> Starlette:
    """The ASGI app over the desk at ``db_path`` (default: $VKSUPPORT_DESK_DB)."""
    path = db_path or os.environ.get(DB_ENV)
    if not path:
        raise RuntimeError(f"No desk database: pass db_path or set {DB_ENV}.")
    limit = rate_limit if rate_limit is not None else float(os.environ.get(RATE_ENV, "50"))
    if auth_failures is None:
        auth_failures = float(os.environ.get(AUTH_FAILURES_ENV, DEFAULT_AUTH_FAILURES))
    limits = Limits.server_defaults()  # $VKSUPPORT_QUESTIONS_PER_DAY, $VKSUPPORT_ATTACHMENT_QUOTA_MIB
    desks = DeskPool(path, limits=limits, threads=threads_from_env())
    buckets = TokenBuckets(limit)
    failures = FailureLimit(auth_failures)
    watch = QuestionWatch(lambda: open_watch(desks.main))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        desks.main  # noqa: B018 - open (create or migrate) the desk before the first request
        yield
        await watch.close()
        desks.close()

    def admit(user: User) -> None:
        """Rate-limit a signed-in user (in a desk thread, before the call's work)."""
        buckets.take(f"user:{user.id}")

    def endpoint(handler: Callable[..., Awaitable[Response]], *, auth: bool = True) -> Handler:
        """Wrap a handler: authenticate, rate-limit, map desk errors to their status."""

        async def run(request: Request) -> Response:
            # The peer's address, or the one a trusted proxy forwarded (uvicorn rewrites the
            # client only for --forwarded-allow-ips; from anyone else X-Forwarded-For is ignored).
            address = _client_address(request)
            try:
                if auth:
                    failures.check(address)
                    try:
                        signed_in = desks.signed_in(_bearer_token(request), admit)
                        return await handler(request, signed_in)
                    except NotSignedIn:  # no token, or one the desk does not know
                        failures.failed(address)
                        raise
                buckets.take(f"ip:{address}")
                return await handler(request, desks)
            except DeskError as error:
                return _error_reply(error)
            except ClientDisconnect:  # the client went away (or was cut off) mid-body: nobody to answer
                return Response(status_code=400)
            finally:
                if request.method != "GET":  # a write here: wake this worker's long-polls now
                    watch.poke()

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
    app.state.watch = watch
    app.state.items = EncodedItems(_encode)
    app.state.threads = KeptByRevision[Thread](lambda thread: len(thread[0]))
    app.state.long_poll_max = max(0, int(os.environ.get(LONG_POLL_ENV, str(LONG_POLL_MAX))))
    return app


# -- plumbing -----------------------------------------------------------------


def _reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = _encode(data)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _error_reply(error: DeskError) -> Response:
    headers = {}
    if "retry_after" in error.details:
        headers["Retry-After"] = str(error.details["retry_after"])
    if status_for(error) == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="vksupport"'
    if isinstance(error, TooLarge):
        # Close rather than read (and throw away) the rest of an oversized body.
        headers["Connection"] = "close"
    return _reply(error_body(error), status_for(error), headers)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error_reply(NotFound(_("There is no {path} on this desk.").format(path=request.url.path)))


async def _not_allowed_method(request: Request, exc: Exception) -> Response:
    message = _("{method} is not allowed here.").format(method=request.method)
    return _reply(reply_error("invalid", message), 405)


async def _server_error(request: Request, exc: Exception) -> Response:
    message = _("The desk failed on this request.")
    return _reply(reply_error("unavailable", message), 500)


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn(_("This request needs a token: send 'Authorization: Bearer TOKEN'."))
    return token.strip()


def _client_address(request: Request) -> str:
    return _bucket_address(request.client.host if request.client else "-")


@functools.lru_cache(maxsize=4096)  # parsed once per peer, not once per request
def _bucket_address(host: str) -> str:
    try:  # one bucket per IPv6 /64: a host gets a whole /64 to rotate through
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _question_id(request: Request, name: str = "qid") -> int:
    text = request.path_params[name]
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) == 0:
        raise NotFound(_("There is no question {id}.").format(id=text))
    return int(text)


async def _json(request: Request) -> dict[str, Any]:
    raw = await _read_body(request, MAX_JSON_BYTES)
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadInput(_("The request body nests too deeply to be read.")) from None
    except (ValueError, UnicodeDecodeError):  # broken JSON, or a number too long to convert
        raise BadInput(_("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise BadInput(_("The request body must be a JSON object."))
    return data


def _too_large(limit: int) -> TooLarge:
    if limit >= 1024 * 1024:
        message = _("The request body is over {limit} MiB.").format(limit=limit // (1024 * 1024))
    else:
        message = _("The request body is over {limit} KiB.").format(limit=limit // 1024)
    return TooLarge(message, limit=limit)


def _check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not (declared.isascii() and declared.isdigit()) or len(declared) > 18:
        raise BadInput(_("The Content-Length header is not a number."))
    if int(declared) > limit:
        raise _too_large(limit)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 the moment more than ``limit`` bytes have arrived."""
    _check_declared_length(request, limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def _spool_body(request: Request, limit: int) -> IO[bytes]:
    """The body in a temporary file (its first bytes in memory), counted and cut off at ``limit``."""
    _check_declared_length(request, limit)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - the caller closes it
    try:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


async def decode(request: Request, kind: type[W]) -> W:
    """The JSON body decoded into ``kind``, a wire shape (wire.py): 400 naming the first wrong field."""
    return _model(await _json(request), kind)


def _model(data: dict[str, Any], kind: type[W]) -> W:
    try:
        return msgspec.convert(data, kind)  # types only: the desk checks lengths and values
    except msgspec.ValidationError as error:
        raise BadInput(_field_problem(kind, str(error))) from None


def _field_problem(kind: type[Record], reason: str) -> str:
    """One sentence naming the field msgspec's ``reason`` points at.

    msgspec says "Object missing required field `title`", or "Expected `str`, got `int` - at
    `$.title`". A null where null is not allowed counts as missing, as it always has.
    """
    missing = re.search(r"missing required field `([^`]+)`", reason)
    wrong = re.search(r"- at `\$\.([A-Za-z_][A-Za-z0-9_]*)`$", reason)
    name = missing.group(1) if missing else wrong.group(1) if wrong else None
    hint = get_type_hints(kind).get(name or "")
    if name is None or hint is None:
        return _("The request body does not have the fields this request takes.")
    nullable = get_origin(hint) in (Union, UnionType) and type(None) in get_args(hint)
    if missing or ("got `null`" in reason and not nullable):
        return _("'{name}' is required.").format(name=name)
    if str not in (hint, *get_args(hint)):
        return _("'{name}' has a value of the wrong type.").format(name=name)
    message = _("'{name}' must be a string or null.") if nullable else _("'{name}' must be a string.")
    return message.format(name=name)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or not low <= int(text) <= high:
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
    long_poll = LongPoll(max_wait=_long_poll_max(request), waiting=request.app.state.watch.waiters)
    return _reply(Health(ok=True, long_poll=long_poll).to_dict())


async def _openapi(request: Request) -> Response:
    return _reply(openapi_document())


async def search_help(request: Request, desk: DeskPool) -> Response:
    query = request.query_params.get("q", "")
    category = request.query_params.get("category") or None
    limit = _int_param(request, "limit", 10, 1, 100)
    hits = await desk.run(Desk.search_help, query, category=category, limit=limit)
    return _reply([hit.to_dict() for hit in hits])


async def get_article(request: Request, desk: DeskPool) -> Response:
    return _reply((await desk.run(Desk.article, request.path_params["slug"])).to_dict())


async def list_topics(request: Request, desk: DeskPool) -> Response:
    return _reply([topic.to_dict() for topic in await desk.run(Desk.topics)])


async def me(request: Request, desk: SignedIn) -> Response:
    return _reply((await desk.user()).to_dict())


async def list_questions(request: Request, desk: SignedIn) -> Response:
    items: EncodedItems = request.app.state.items
    known, found = items.lookup()
    listed, next_cursor = await desk.run(
        Desk.list_page,
        status=request.query_params.get("status", "all"),
        limit=_int_param(request, "limit", 20, 1, 1000),
        cursor=request.query_params.get("cursor"),
        known=known,
    )
    return Response(items.page(listed, next_cursor, found), media_type="application/json")


async def create_question(request: Request, desk: SignedIn) -> Response:
    await desk.user()  # the token first: nobody unknown gets to send a body
    data = await _json(request)
    if data.get("attachments"):
        raise BadInput(
            _(
                "Attachments go up as files, one request each: "
                "POST /api/v1/questions/ID/attachments?filename=NAME with the file as the body."
            )
        )
    ask = _model(data, NewQuestion)
    result = await desk.run(
        Desk.ask,
        topic=ask.topic,
        title=ask.title,
        body=ask.body,
        link=ask.link,
        kind=ask.kind or "standard",
        idempotency_key=_idempotency_key(request),
    )
    return _reply(result.to_dict(), 201)


async def get_question(request: Request, desk: SignedIn) -> Response:
    """The question; with If-None-Match and ``?wait=S``, a long-poll: 304 only after S seconds unchanged."""
    question_id = _question_id(request)
    held = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    longest = _long_poll_max(request)  # before the read: from here on, any change is noticed
    wait = min(_int_param(request, "wait", 0, 0, 86_400), longest) if longest else 0
    watch: QuestionWatch = request.app.state.watch
    threads: KeptByRevision[Thread] = request.app.state.threads
    mark = watch.mark()  # before the read: a change told after it wakes the wait below
    body, etag, version = await desk.run(_thread, question_id, threads)
    loop = get_running_loop()
    deadline = loop.time() + wait
    while etag in held and (remaining := deadline - loop.time()) > 0:
        await watch.wait(question_id, version, remaining, since=mark)
        mark = watch.mark()
        # Deleted meanwhile: 404, as any GET.
        body, etag, version = await desk.run(_thread, question_id, threads)
    headers = {"ETag": etag, **({LONG_POLL_HEADER: str(longest)} if longest else {})}
    if etag in held:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers={**headers, "Cache-Control": "no-cache"})


#: A question as a GET sends it: (JSON, ETag, version for the long-poll).
Thread = tuple[bytes, str, str]


def _thread(desk: Desk, user: User, question_id: int, threads: KeptByRevision[Thread]) -> Thread:
    """The question with its thread, from what the worker keeps if that is current (in a desk thread)."""
    revision, status = desk.question_key(user, question_id)
    kept = threads.get((question_id, revision)) if status not in OPEN_STATUSES else None
    if kept is not None:
        return kept
    # Read after the key: at least as new as the revision it is kept under (server/items.py).
    question = desk.get_question(user, question_id)
    body = _encode(question.to_dict())
    thread = (body, _etag(body), version_of(question))
    if question.status not in OPEN_STATUSES:
        threads.keep([((question_id, revision), thread)])
    return thread


def _long_poll_max(request: Request) -> int:
    """The longest ?wait= granted: 0 when turned off, or when this desk's changes cannot be watched."""
    watch: QuestionWatch = request.app.state.watch
    longest: int = request.app.state.long_poll_max
    return longest if longest and watch.available() else 0


async def edit_question(request: Request, desk: SignedIn) -> Response:
    await desk.user()  # the token first: nobody unknown gets to send a body
    data = await _json(request)
    edit = _model(data, QuestionEdit)
    question = await desk.run(
        Desk.edit_question,
        _question_id(request),
        title=edit.title,
        body=edit.body,
        link=edit.link,
        clear_link="link" in data and edit.link is None,  # null removes the link; absent keeps it
    )
    return _reply(question.to_dict())


async def delete_question(request: Request, desk: SignedIn) -> Response:
    await desk.run(Desk.delete_question, _question_id(request))
    return Response(status_code=204)


async def add_comment(request: Request, desk: SignedIn) -> Response:
    await desk.user()  # the token first: nobody unknown gets to send a body
    new = await decode(request, NewComment)
    comment = await desk.run(
        Desk.comment, _question_id(request), new.body, idempotency_key=_idempotency_key(request)
    )
    return _reply(comment.to_dict(), 201)


async def rate_question(request: Request, desk: SignedIn) -> Response:
    await desk.user()  # the token first: nobody unknown gets to send a body
    rating = await decode(request, NewRating)
    question = await desk.run(Desk.rate, _question_id(request), rating.rating, rating.comment)
    return _reply(question.to_dict())


async def close_question(request: Request, desk: SignedIn) -> Response:
    return _reply((await desk.run(Desk.close_question, _question_id(request))).to_dict())


async def upload_attachment(request: Request, desk: SignedIn) -> Response:
    filename = request.query_params.get("filename", "")
    question_id = _question_id(request)
    await desk.user()  # the token first: nobody unknown gets to send a body
    spool = await _spool_body(request, MAX_UPLOAD_BYTES)
    try:
        attachment = await desk.run(Desk.attach, question_id, filename, spool)
    finally:
        spool.close()
    return _reply(attachment.to_dict(), 201)


async def download_attachment(request: Request, desk: SignedIn) -> Response:
    aid = request.path_params["aid"]
    if not (aid.isascii() and aid.isdigit()) or len(aid) > 18:
        raise NotFound(_("There is no attachment {id}.").format(id=aid))
    meta, pieces = await desk.run(Desk.attachment_chunks, _question_id(request), int(aid))
    disposition = "attachment; filename*=UTF-8''" + _quote(meta.filename)

    async def stream() -> AsyncIterator[bytes]:
        # One read of the database per piece, in a pool thread; never the whole file at once.
        while (piece := await desk.run(_next_piece, pieces)) is not None:
            yield piece

    return StreamingResponse(
        stream(),
        media_type=meta.content_type,
        headers={
            "Content-Disposition": disposition,
            "Content-Length": str(meta.size),
            "X-Content-Type-Options": "nosniff",
        },
    )


async def agent_take(request: Request, desk: SignedIn) -> Response:
    question = await desk.run(Desk.take)
    return Response(status_code=204) if question is None else _reply(question.to_dict())


async def agent_queue(request: Request, desk: SignedIn) -> Response:
    questions = await desk.run(Desk.queue, limit=_int_param(request, "limit", 100, 1, 1000))
    return _reply([q.to_dict() for q in questions])


async def agent_answer(request: Request, desk: SignedIn) -> Response:
    await desk.user()  # the token first: nobody unknown gets to send a body
    answer = await decode(request, NewAnswer)
    return _reply((await desk.run(Desk.answer, _question_id(request), answer.body)).to_dict())


def _next_piece(desk: Desk, user: User, pieces: Iterator[bytes]) -> bytes | None:
    """The next piece of an attachment being streamed (read from the database), or None at its end."""
    return next(pieces, None)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
