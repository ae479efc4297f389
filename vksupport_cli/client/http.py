"""The http adapter: the client API over a deployed desk's JSON API (httpx).

One httpx client per process (connection reuse), explicit timeouts, TLS
verified. Requests that are safe to repeat are retried with backoff and jitter
on connection errors, 502/503/504 and 429 (honouring Retry-After); a create is
safe because it always carries an idempotency key. Anything that is not the
API's JSON becomes a clear ``Unavailable`` naming the HTTP status. The token
goes only into the Authorization header: never into a URL, a message or a log.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar, overload
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
import httpx  # noqa: E402 - after the line above, by design

R = TypeVar("R", bound=Record)

API_PREFIX = "/api/v1"
TIMEOUT_ENV = "VKSUPPORT_TIMEOUT"  # seconds to wait for each reply (default 15)
DEFAULT_TIMEOUT = 15.0
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
    ) -> None:
        self.location = check_url(url, insecure=insecure)
        self._token = token
        self._sleep = sleep
        self._attempts = attempts
        self._http = httpx.Client(
            base_url=self.location + API_PREFIX,
            timeout=_timeout(),
            # Certificates are always checked for https; an http:// base URL (loopback, or
            # --insecure) has none, so building an SSL context for it is wasted start-up.
            verify=self.location.startswith("https://"),
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": f"vksupport/{__version__}", "Accept": "application/json"},
        )
        self._etags: dict[int, tuple[str, Question]] = {}

    def __repr__(self) -> str:  # never show the token
        return f"HttpClient({self.location!r})"

    # -- transport ----------------------------------------------------------

    def _send(
        self, method: str, path: str, *, safe: bool, auth: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """Send with retries; ``safe``: repeating the request cannot do anything twice."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth:
            if not self._token:
                raise NotSignedIn(_("You are not signed in to {url}.").format(url=self.location))
            headers["Authorization"] = f"Bearer {self._token}"
        for attempt in range(self._attempts):
            last = attempt == self._attempts - 1
            try:
                response = self._http.request(method, path, headers=headers, **kwargs)
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
        attachments: Sequence[tuple[str, bytes]] = (),
        idempotency_key: str | None = None,
    ) -> AskResult:
        payload = {
            "topic": topic,
            "title": title,
            "body": body,
            "link": link,
            "kind": kind,
            "attachments": [
                {"filename": name, "content_base64": base64.b64encode(content).decode()}
                for name, content in attachments
            ],
        }
        key = idempotency_key or str(uuid.uuid4())  # a key makes the create safe to retry
        data = self._call("POST", "/questions", safe=True, json=payload, headers={"Idempotency-Key": key})
        return self._record(AskResult, data)

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
            return cached[1]
        question = self._record(Question, self._decode(response))
        if etag := response.headers.get("etag"):
            self._etags[question_id] = (etag, question)
        return question

    def edit_question(
        self,
        question_id: int,
        *,
        title: str | None = None,
        body: str | None = None,
        link: str | None = None,
        clear_link: bool = False,
    ) -> Question:
        payload: dict[str, Any] = {
            name: value
            for name, value in (("title", title), ("body", body), ("link", link))
            if value is not None
        }
        if clear_link:
            payload["link"] = None
        return self._record(
            Question, self._call("PATCH", f"/questions/{question_id}", safe=True, json=payload)
        )

    def delete_question(self, question_id: int) -> None:
        self._call("DELETE", f"/questions/{question_id}", safe=False, expect_json=False)

    def comment(self, question_id: int, body: str, *, idempotency_key: str | None = None) -> Comment:
        key = idempotency_key or str(uuid.uuid4())
        data = self._call(
            "POST",
            f"/questions/{question_id}/comments",
            safe=True,
            json={"body": body},
            headers={"Idempotency-Key": key},
        )
        return self._record(Comment, data)

    def rate(self, question_id: int, rating: str, comment: str | None = None) -> Question:
        data = self._call(
            "POST",
            f"/questions/{question_id}/rating",
            safe=False,
            json={"rating": rating, "comment": comment},
        )
        return self._record(Question, data)

    def close_question(self, question_id: int) -> Question:
        return self._record(Question, self._call("POST", f"/questions/{question_id}/close", safe=False))

    def attach(self, question_id: int, filename: str, content: bytes) -> Attachment:
        data = self._call(
            "POST",
            f"/questions/{question_id}/attachments",
            safe=False,
            params={"filename": filename},
            content=content,
            headers={"Content-Type": "application/octet-stream"},
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

    def agent_take(self) -> Question | None:
        response = self._call("POST", "/agent/take", safe=False, expect_json=False)
        return None if response.status_code == 204 else self._record(Question, self._decode(response))

    def agent_answer(self, question_id: int, body: str) -> Question:
        return self._record(
            Question,
            self._call("POST", f"/agent/questions/{question_id}/answer", safe=False, json={"body": body}),
        )

    def agent_queue(self, *, limit: int = 100) -> list[Question]:
        return self._record(
            Question, self._call("GET", "/agent/queue", safe=True, params={"limit": limit}), many=True
        )

    def close(self) -> None:
        self._http.close()


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


def _timeout() -> httpx.Timeout:
    value = os.environ.get(TIMEOUT_ENV, "")
    try:
        seconds = float(value) if value else DEFAULT_TIMEOUT
    except ValueError:
        seconds = DEFAULT_TIMEOUT
    seconds = min(max(seconds, 0.1), 600.0)
    return httpx.Timeout(seconds, connect=min(5.0, seconds))


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.split("\n")[0][:200] if text else exc.__class__.__name__
