"""The http adapter: the client API over a deployed desk's JSON API (httpx).

One httpx client per process (connection reuse), explicit timeouts, TLS
verified. ``VKSUPPORT_TIMEOUT`` bounds each whole request attempt, not each
read: every socket read and write gets only the time left until the attempt's
deadline, so a desk trickling a byte at a time cannot hold a command. A reply
is read as a stream and refused past ``MAX_REPLY_BYTES``. Requests that are safe to repeat are retried with backoff and jitter
on connection errors, 502/503/504 and 429 (honouring Retry-After); a create is
safe because it always carries an idempotency key. Anything that is not the
API's JSON becomes a clear ``Unavailable`` naming the HTTP status. The token
goes only into the Authorization header: never into a URL, a message or a log.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeVar, overload
from urllib.parse import quote, urlsplit

from .. import __version__
from ..desk.models import (
    Article,
    AskResult,
    Attachment,
    Comment,
    Question,
    QuestionPage,
    Record,
    SearchHit,
    Topic,
    User,
)
from ..errors import (
    BY_CODE,
    BadInput,
    Conflict,
    DeskError,
    IdempotencyMismatch,
    NotAllowed,
    NotFound,
    NotSignedIn,
    OpenQuestionExists,
    RateLimited,
    Unavailable,
)
from ..i18n import _

# httpx's command-line module drags in rich, pygments and click (~60 ms) for nothing here: a None
# entry in sys.modules makes its import fail, and httpx then goes without it.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None is what blocks an import
import httpcore  # noqa: E402 - after the line above, by design
import httpx  # noqa: E402 - after the line above, by design

R = TypeVar("R", bound=Record)

API_PREFIX = "/api/v1"
TIMEOUT_ENV = "VKSUPPORT_TIMEOUT"  # seconds for each whole request attempt (default 15)
DEFAULT_TIMEOUT = 15.0
#: A reply larger than this is refused (read as a stream, counted, never held whole).
MAX_REPLY_BYTES = 64 * 1024 * 1024
#: An upload's attempt gets one more second per this many bytes beyond the timeout.
UPLOAD_BYTES_PER_SECOND = 100 * 1024
CHUNK = 64 * 1024
ATTEMPTS = 4  # the first try and three retries
BACKOFF = 0.5  # seconds, doubled each retry, with jitter
MAX_RETRY_AFTER = 30.0  # a longer Retry-After is reported instead of waited out
RETRY_STATUSES = {429, 502, 503, 504}
#: The error for a reply whose machine code this client does not know.
_BY_STATUS = {
    400: BadInput,
    401: NotSignedIn,
    403: NotAllowed,
    404: NotFound,
    409: Conflict,
    422: IdempotencyMismatch,
    429: RateLimited,
}


def check_url(url: str, *, insecure: bool = False) -> str:
    """The desk's base URL, refusing plain http:// except to this machine (or with --insecure)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            _("{url!r} is not a desk URL; use https://HOST[:PORT] (or 'sandbox').").format(url=url)
        )
    if parts.username or parts.password:
        raise BadInput(_("Do not put credentials in the desk URL; sign in with `vksupport auth login`."))
    if parts.scheme == "http" and not insecure and not _is_loopback(parts.hostname):
        raise BadInput(
            _(
                "Refusing plain http:// to {host}: the token would travel unencrypted. "
                "Use https://, or pass --insecure if you really mean it."
            ).format(host=parts.hostname)
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpClient:
    """A ``DeskClient`` speaking to a desk server."""

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        insecure: bool = False,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = ATTEMPTS,
        timeout: float | None = None,
    ) -> None:
        self.location = check_url(url, insecure=insecure)
        self._token = token
        self._sleep = sleep
        self._attempts = attempts
        self._seconds = _timeout_seconds() if timeout is None else timeout
        self._deadline = _Deadline()
        if transport is None:
            transport = httpx.HTTPTransport(verify=self.location.startswith("https://"))
            _keep_deadlines(transport, self._deadline)
        self._http = httpx.Client(
            base_url=self.location + API_PREFIX,
            timeout=httpx.Timeout(self._seconds, connect=min(5.0, self._seconds)),
            # Certificates are always checked for https; an http:// base URL (loopback, or
            # --insecure) has none, so building an SSL context for it is wasted start-up.
            verify=self.location.startswith("https://"),
            follow_redirects=False,
            transport=transport,
            headers={
                "User-Agent": f"vksupport/{__version__}",
                "Accept": "application/json",
                # No compressed replies: the size limit counts what arrives, not what it inflates to.
                "Accept-Encoding": "identity",
            },
        )
        self._etags: dict[int, tuple[str, Question]] = {}
        #: The longest long-poll the desk grants (its X-Long-Poll-Max-Wait header), 0: it cannot push.
        self._push_max = 0

    def __repr__(self) -> str:  # never show the token
        return f"HttpClient({self.location!r})"

    # -- transport ----------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        safe: bool,
        auth: bool = True,
        upload_bytes: int = 0,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries; ``safe``: repeating the request cannot do anything twice.

        Each attempt has its own deadline (the timeout, plus time for an upload's
        ``upload_bytes``); the retries, with their pauses, bound the whole call.
        """
        headers = dict(kwargs.pop("headers", {}) or {})
        seconds = self._seconds + upload_bytes / UPLOAD_BYTES_PER_SECOND
        if auth:
            if not self._token:
                raise NotSignedIn(_("You are not signed in to {url}.").format(url=self.location))
            headers["Authorization"] = f"Bearer {self._token}"
        for attempt in range(self._attempts):
            last = attempt == self._attempts - 1
            try:
                response = self._fetch(method, path, seconds, headers=headers, **kwargs)
            except _ReplyTooLarge as exc:
                raise Unavailable(
                    _(
                        "The desk at {url} sent a reply over {limit} MiB; refused. "
                        "Is it a vksupport desk, and is the request what you meant?"
                    ).format(url=self.location, limit=exc.limit // (1024 * 1024))
                ) from None
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing reached the desk: always safe to try again.
                if last:
                    raise Unavailable(
                        _("Cannot reach the desk at {url} ({reason}).").format(
                            url=self.location, reason=_reason(exc)
                        )
                    ) from None
                self._pause(attempt)
                continue
            except httpx.TimeoutException:
                if safe and not last:
                    self._pause(attempt)
                    continue
                message = (
                    _("The desk at {url} did not answer in time.")
                    if safe
                    else _(
                        "The desk at {url} did not answer in time; "
                        "the request may or may not have been applied, check before repeating it."
                    )
                )
                raise Unavailable(message.format(url=self.location)) from None
            except httpx.TransportError as exc:
                if safe and not last:
                    self._pause(attempt)
                    continue
                message = (
                    _("The connection to {url} broke ({reason}).")
                    if safe
                    else _(
                        "The connection to {url} broke ({reason}); "
                        "the request may or may not have been applied, check before repeating it."
                    )
                )
                raise Unavailable(message.format(url=self.location, reason=_reason(exc))) from None
            if response.status_code in RETRY_STATUSES and safe and not last and not _final_refusal(response):
                wait = _retry_after(response)
                if wait is not None and wait > MAX_RETRY_AFTER:
                    return response
                self._pause(attempt, wait)
                continue
            return response
        raise AssertionError("unreachable")  # the loop returns or raises

    def _fetch(self, method: str, path: str, seconds: float, **kwargs: Any) -> httpx.Response:
        """One attempt, within ``seconds`` in all; the reply's body is read as a stream and counted."""
        self._deadline.at = time.monotonic() + seconds
        try:
            request = self._http.build_request(method, path, **kwargs)
            response = self._http.send(request, stream=True)
            try:
                declared = response.headers.get("content-length", "")
                if declared.isascii() and declared.isdigit() and int(declared) > MAX_REPLY_BYTES:
                    raise _ReplyTooLarge(MAX_REPLY_BYTES)
                chunks, size = [], 0
                for chunk in response.iter_bytes(CHUNK):
                    size += len(chunk)
                    if size > MAX_REPLY_BYTES:
                        raise _ReplyTooLarge(MAX_REPLY_BYTES)
                    chunks.append(chunk)
                    if time.monotonic() > self._deadline.at:
                        raise httpx.ReadTimeout("the request's deadline passed", request=request)
            finally:
                response.close()
        finally:
            self._deadline.at = None
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code, headers=headers, content=b"".join(chunks), request=request
        )

    def _pause(self, attempt: int, retry_after: float | None = None) -> None:
        delay = retry_after if retry_after is not None else BACKOFF * 2**attempt
        self._sleep(delay + random.uniform(0, delay / 2 if retry_after is None else 0.1))  # noqa: S311 - jitter, not a secret

    def _call(
        self,
        method: str,
        path: str,
        *,
        safe: bool,
        auth: bool = True,
        expect_json: bool = True,
        **kwargs: Any,
    ) -> Any:
        response = self._send(method, path, safe=safe, auth=auth, **kwargs)
        if response.status_code >= 400:
            raise self._error(response)
        if not expect_json or response.status_code in (204, 304):
            return response
        return self._decode(response)

    def _decode(self, response: httpx.Response) -> Any:
        content_type = response.headers.get("content-type", "")
        try:
            if "json" not in content_type:
                raise ValueError(content_type or "no content type")
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise Unavailable(self._not_json(response)) from None

    def _error(self, response: httpx.Response) -> DeskError:
        try:
            body = json.loads(response.content)
            error = body["error"]
            code, message, details = error["code"], str(error["message"]), dict(error.get("details") or {})
        except (ValueError, UnicodeDecodeError, KeyError, TypeError):
            if response.status_code == 401:
                return NotSignedIn(
                    _("The desk at {url} refused the token (HTTP 401).").format(url=self.location)
                )
            return Unavailable(self._not_json(response))
        message = self._scrub(message)
        # The desk's details become keyword arguments: keep only names that cannot clash.
        details = {
            str(k): self._scrub(v) if isinstance(v, str) else v
            for k, v in details.items()
            if str(k).isidentifier() and k not in ("self", "message")
        }
        if code == OpenQuestionExists.code and isinstance(details.get("question_id"), int):
            return OpenQuestionExists(details["question_id"], message)
        if code == RateLimited.code:
            details.setdefault("retry_after", _retry_after(response))
        fallback = _BY_STATUS.get(
            response.status_code, Unavailable if response.status_code >= 500 else DeskError
        )
        return BY_CODE.get(code, fallback)(message, **details)

    def _scrub(self, text: str) -> str:
        """A desk's words with our token masked: whatever a server says, we never print it."""
        return text.replace(self._token, "[token]") if self._token else text

    @overload
    def _record(self, kind: type[R], data: Any) -> R: ...
    @overload
    def _record(self, kind: type[R], data: Any, *, many: Literal[True]) -> list[R]: ...
    def _record(self, kind: type[R], data: Any, *, many: bool = False) -> R | list[R]:
        """Build a record (or, ``many``, a list of them) from a reply; a wrong shape is a clear error."""
        try:
            if many:
                if not isinstance(data, list):
                    raise TypeError("expected a list")
                return [kind.from_dict(item) for item in data]
            return kind.from_dict(data)
        except (TypeError, KeyError, AttributeError, ValueError):
            raise Unavailable(
                _(
                    "The desk at {url} answered with data this vksupport does not understand; "
                    "is it a vksupport desk of a compatible version?"
                ).format(url=self.location)
            ) from None

    def _not_json(self, response: httpx.Response) -> str:
        return _("The desk at {url} answered HTTP {status} with {body} instead of the API's JSON.").format(
            url=self.location, status=response.status_code, body=_describe_body(response)
        )

    # -- the client API -------------------------------------------------------

    def me(self) -> User:
        return self._record(User, self._call("GET", "/me", safe=True))

    def search_help(self, query: str, *, category: str | None = None, limit: int = 10) -> list[SearchHit]:
        params = {"q": query, "limit": limit, **({"category": category} if category else {})}
        return self._record(
            SearchHit, self._call("GET", "/help/search", safe=True, auth=False, params=params), many=True
        )

    def article(self, slug: str) -> Article:
        return self._record(
            Article, self._call("GET", f"/help/articles/{quote(slug, safe='')}", safe=True, auth=False)
        )

    def categories(self) -> list[str]:
        return sorted({topic.category for topic in self.topics()})

    def topics(self) -> list[Topic]:
        return self._record(Topic, self._call("GET", "/help/topics", safe=True, auth=False), many=True)

    def ask(
        self,
        *,
        topic: str,
        title: str,
        body: str,
        link: str | None = None,
        kind: str = "standard",
        attachments: Sequence[tuple[str, bytes | Path]] = (),
        idempotency_key: str | None = None,
    ) -> AskResult:
        """Create the question, then send each attachment as a file of its own.

        The create carries an idempotency key, so calling ``ask`` again with the
        same key (a resumed draft) finds the same question and sends only the
        attachments it does not hold yet (same size and SHA-256). When one fails,
        the error says the question exists and which file did not go up.
        """
        from ..wire import NewQuestion  # here, not at the top: only writes need the request shapes

        payload = NewQuestion(topic=topic, title=title, body=body, link=link, kind=kind).to_dict()
        key = idempotency_key or str(uuid.uuid4())  # a key makes the create safe to retry
        data = self._call("POST", "/questions", safe=True, json=payload, headers={"Idempotency-Key": key})
        result = self._record(AskResult, data)
        if not attachments:
            return result
        question = result.question
        held = [(a.size, a.sha256) for a in question.attachments]
        for name, content in attachments:
            fingerprint = _fingerprint(content)
            if fingerprint in held:
                held.remove(fingerprint)  # sent by an earlier attempt of this same ask
                continue
            try:
                self.attach(question.id, name, content)
            except DeskError as error:
                error.message = _(
                    "Question #{id} is in the queue, but the attachment {name} did not go up: {reason}"
                ).format(id=question.id, name=name, reason=error.message)
                error.args = (error.message,)
                error.details["question_id"] = question.id
                raise
        return AskResult(self.get_question(question.id), result.repeats)

    def list_questions(
        self, *, status: str = "all", limit: int = 20, cursor: str | None = None
    ) -> QuestionPage:
        params = {"status": status, "limit": limit, **({"cursor": cursor} if cursor else {})}
        return self._record(QuestionPage, self._call("GET", "/questions", safe=True, params=params))

    def get_question(self, question_id: int) -> Question:
        """The question; a repeated poll sends If-None-Match and reuses the copy on 304."""
        cached = self._etags.get(question_id)
        headers = {"If-None-Match": cached[0]} if cached else {}
        response = self._call(
            "GET", f"/questions/{question_id}", safe=True, expect_json=False, headers=headers
        )
        if response.status_code == 304 and cached:
            self._note_push(response)
            return cached[1]
        return self._remember(question_id, response)

    def offers_push(self) -> bool:
        """Whether the desk answered a question GET saying it holds long-polls (known after one GET)."""
        return self._push_max > 0

    def wait_for_change(self, question_id: int, timeout: float) -> Question | None:
        """The question once it differs from the copy last read, or None after ``timeout`` seconds.

        One long-poll (``?wait=`` with If-None-Match), at most as long as the desk grants. On a
        desk that cannot push, this is a plain conditional GET, which answers at once.
        """
        cached = self._etags.get(question_id)
        if cached is None:
            return self.get_question(question_id)
        seconds = max(1, min(int(timeout), self._push_max)) if self._push_max else 0
        read = (self._http.timeout.read or DEFAULT_TIMEOUT) + seconds
        response = self._call(
            "GET",
            f"/questions/{question_id}",
            safe=True,
            expect_json=False,
            headers={"If-None-Match": cached[0]},
            params={"wait": seconds} if seconds else None,
            timeout=httpx.Timeout(read, connect=self._http.timeout.connect),
        )
        if response.status_code == 304:
            self._note_push(response)
            return None
        return self._remember(question_id, response)

    def _remember(self, question_id: int, response: httpx.Response) -> Question:
        question = self._record(Question, self._decode(response))
        if etag := response.headers.get("etag"):
            self._etags[question_id] = (etag, question)
        self._note_push(response)
        return question

    def _note_push(self, response: httpx.Response) -> None:
        value = response.headers.get("x-long-poll-max-wait", "").strip()
        self._push_max = min(int(value), 3600) if value.isascii() and value.isdigit() else 0

    def edit_question(
        self,
        question_id: int,
        *,
        title: str | None = None,
        body: str | None = None,
        link: str | None = None,
        clear_link: bool = False,
    ) -> Question:
        from ..wire import QuestionEdit

        edit = QuestionEdit(title=title, body=body, link=link).to_dict()
        payload = {name: value for name, value in edit.items() if value is not None}  # absent: unchanged
        if clear_link:
            payload["link"] = None
        return self._record(
            Question, self._call("PATCH", f"/questions/{question_id}", safe=True, json=payload)
        )

    def delete_question(self, question_id: int) -> None:
        self._call("DELETE", f"/questions/{question_id}", safe=False, expect_json=False)

    def comment(self, question_id: int, body: str, *, idempotency_key: str | None = None) -> Comment:
        from ..wire import NewComment

        key = idempotency_key or str(uuid.uuid4())
        data = self._call(
            "POST",
            f"/questions/{question_id}/comments",
            safe=True,
            json=NewComment(body=body).to_dict(),
            headers={"Idempotency-Key": key},
        )
        return self._record(Comment, data)

    def rate(self, question_id: int, rating: str, comment: str | None = None) -> Question:
        from ..wire import NewRating

        data = self._call(
            "POST",
            f"/questions/{question_id}/rating",
            safe=False,
            json=NewRating(rating=rating, comment=comment).to_dict(),
        )
        return self._record(Question, data)

    def close_question(self, question_id: int) -> Question:
        return self._record(Question, self._call("POST", f"/questions/{question_id}/close", safe=False))

    def attach(self, question_id: int, filename: str, content: bytes | Path) -> Attachment:
        """Send one attachment; a ``Path`` is streamed from the disk, never read whole."""
        size = content.stat().st_size if isinstance(content, Path) else len(content)
        data = self._call(
            "POST",
            f"/questions/{question_id}/attachments",
            safe=False,
            upload_bytes=size,
            params={"filename": filename},
            content=_FileChunks(content) if isinstance(content, Path) else content,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
        )
        return self._record(Attachment, data)

    def attachment_content(self, question_id: int, attachment_id: int) -> tuple[Attachment, bytes]:
        question = self.get_question(question_id)
        meta = next((a for a in question.attachments if a.id == attachment_id), None)
        response = self._call(
            "GET", f"/questions/{question_id}/attachments/{attachment_id}", safe=True, expect_json=False
        )
        if meta is None:
            raise Unavailable(_("The desk sent an attachment its question does not list."))
        return meta, response.content

    def download_attachment(self, question_id: int, attachment_id: int, sink: BinaryIO) -> Attachment:
        """Stream the attachment into ``sink``; the bytes must match the size and sha256 its question lists."""
        import hashlib

        question = self.get_question(question_id)
        meta = next((a for a in question.attachments if a.id == attachment_id), None)
        if meta is None:
            raise NotFound(
                _("Question {id} has no attachment {attachment}.").format(
                    id=question_id, attachment=attachment_id
                )
            )
        if not self._token:
            raise NotSignedIn(_("You are not signed in to {url}.").format(url=self.location))
        request = self._http.build_request(
            "GET",
            f"/questions/{question_id}/attachments/{attachment_id}",
            headers={"Authorization": f"Bearer {self._token}", "Accept": "*/*"},
        )
        broke = _("The download from {url} broke off ({reason}); try again.")
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise Unavailable(
                _("Cannot reach the desk at {url} ({reason}).").format(url=self.location, reason=_reason(exc))
            ) from None
        try:
            if response.status_code >= 400:
                response.read()
                raise self._error(response)
            digest, size = hashlib.sha256(), 0
            for chunk in response.iter_bytes(64 * 1024):
                size += len(chunk)
                if size > meta.size:
                    break
                digest.update(chunk)
                sink.write(chunk)
        except httpx.TransportError as exc:
            raise Unavailable(broke.format(url=self.location, reason=_reason(exc))) from None
        finally:
            response.close()
        if size != meta.size or digest.hexdigest() != meta.sha256:
            raise Unavailable(
                _(
                    "The desk at {url} sent attachment {attachment} with other bytes than it lists "
                    "(size or checksum differ); try again."
                ).format(url=self.location, attachment=attachment_id)
            )
        return meta

    def agent_take(self) -> Question | None:
        response = self._call("POST", "/agent/take", safe=False, expect_json=False)
        return None if response.status_code == 204 else self._record(Question, self._decode(response))

    def agent_answer(self, question_id: int, body: str) -> Question:
        from ..wire import NewAnswer

        return self._record(
            Question,
            self._call(
                "POST",
                f"/agent/questions/{question_id}/answer",
                safe=False,
                json=NewAnswer(body=body).to_dict(),
            ),
        )

    def agent_queue(self, *, limit: int = 100) -> list[Question]:
        return self._record(
            Question, self._call("GET", "/agent/queue", safe=True, params={"limit": limit}), many=True
        )

    def close(self) -> None:
        self._http.close()


class _FileChunks:
    """A file's bytes in chunks, read from the disk as they are sent (again on each iteration)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk


def _fingerprint(content: bytes | Path) -> tuple[int, str]:
    """(size, SHA-256) of an attachment, as the desk reports them."""
    import hashlib

    digest = hashlib.sha256()
    if isinstance(content, Path):
        with content.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return content.stat().st_size, digest.hexdigest()
    digest.update(content)
    return len(content), digest.hexdigest()


def _final_refusal(response: httpx.Response) -> bool:
    """A 503 that says 'not accepting questions' is the desk's decision, not a hiccup."""
    try:
        return bool(json.loads(response.content)["error"]["code"] == "not_accepting")
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return False


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if value.isascii() and value.isdigit():
        return float(value)
    if value:
        from email.utils import parsedate_to_datetime

        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, moment.timestamp() - time.time())
    return None


def _describe_body(response: httpx.Response) -> str:
    """What came instead of JSON, as it fits "... answered HTTP 200 with {body} instead of ..."."""
    if not response.content:
        return _("an empty body")
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    head = response.content[:512].lower()
    if b"captcha" in head:
        return _("a captcha page")
    if content_type == "text/html" or head.lstrip().startswith((b"<!doctype", b"<html")):
        return _("an HTML page (a proxy or error page?)")
    if "json" in content_type:
        return _("broken JSON (a truncated reply?)")
    if content_type:
        return _("a {content_type} body").format(content_type=content_type)
    return _("a body of unknown type")


def _timeout_seconds() -> float:
    value = os.environ.get(TIMEOUT_ENV, "")
    try:
        seconds = float(value) if value else DEFAULT_TIMEOUT
    except ValueError:
        seconds = DEFAULT_TIMEOUT
    if seconds != seconds:  # NaN
        seconds = DEFAULT_TIMEOUT
    return min(max(seconds, 0.1), 600.0)


class _ReplyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class _Deadline(threading.local):
    """When the current request attempt must be over (``time.monotonic()``), or None."""

    at: float | None = None

    def clamp(self, timeout: float | None, late: type[Exception]) -> float | None:
        if self.at is None:
            return timeout
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise late("the request's deadline passed")
        return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write waits at most until the attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(
            ssl_context, server_hostname, self._deadline.clamp(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: _Deadline) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, self._deadline.clamp(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, self._deadline.clamp(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _keep_deadlines(transport: httpx.HTTPTransport, deadline: _Deadline) -> None:
    """Give the transport's connection pool sockets that keep the request's deadline.

    httpx has no whole-request timeout (its timeouts are per read); httpcore lets a
    pool use another network backend, which httpx does not expose: set it here.
    """
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore.ConnectionPool):
        pool._network_backend = _DeadlineBackend(deadline)


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.split("\n")[0][:200] if text else exc.__class__.__name__
