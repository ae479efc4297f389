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
import random
import time
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from .. import __version__
from ..desk.models import Article, AskResult, Attachment, Comment, Question, QuestionPage, SearchHit, Topic, User
from ..errors import (
    BY_CODE,
    BadInput,
    Conflict,
    DeskError,
    NotAllowed,
    NotFound,
    NotSignedIn,
    OpenQuestionExists,
    RateLimited,
    Unavailable,
)

API_PREFIX = "/api/v1"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
ATTEMPTS = 4  # the first try and three retries
BACKOFF = 0.5  # seconds, doubled each retry, with jitter
MAX_RETRY_AFTER = 30.0  # a longer Retry-After is reported instead of waited out
RETRY_STATUSES = {429, 502, 503, 504}
#: The error for a reply whose machine code this client does not know.
_BY_STATUS = {400: BadInput, 401: NotSignedIn, 403: NotAllowed, 404: NotFound, 409: Conflict, 429: RateLimited}


def check_url(url: str, *, insecure: bool = False) -> str:
    """The desk's base URL, refusing plain http:// except to this machine (or with --insecure)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{url!r} is not a desk URL; use https://HOST[:PORT] (or 'sandbox').")
    if parts.username or parts.password:
        raise BadInput("Do not put credentials in the desk URL; sign in with `vksupport auth login`.")
    if parts.scheme == "http" and not insecure and not _is_loopback(parts.hostname):
        raise BadInput(
            f"Refusing plain http:// to {parts.hostname}: the token would travel unencrypted. "
            "Use https://, or pass --insecure if you really mean it."
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
        sleep=time.sleep,
        attempts: int = ATTEMPTS,
    ):
        self.location = check_url(url, insecure=insecure)
        self._token = token
        self._sleep = sleep
        self._attempts = attempts
        self._http = httpx.Client(
            base_url=self.location + API_PREFIX,
            timeout=TIMEOUT,
            verify=True,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": f"vksupport/{__version__}", "Accept": "application/json"},
        )
        self._etags: dict[int, tuple[str, Question]] = {}

    def __repr__(self) -> str:  # never show the token
        return f"HttpClient({self.location!r})"

    # -- transport ----------------------------------------------------------

    def _send(self, method: str, path: str, *, safe: bool, auth: bool = True, **kwargs) -> httpx.Response:
        """Send with retries; ``safe``: repeating the request cannot do anything twice."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth:
            if not self._token:
                raise NotSignedIn(f"You are not signed in to {self.location}.")
            headers["Authorization"] = f"Bearer {self._token}"
        for attempt in range(self._attempts):
            last = attempt == self._attempts - 1
            try:
                response = self._http.request(method, path, headers=headers, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing reached the desk: always safe to try again.
                if last:
                    raise Unavailable(f"Cannot reach the desk at {self.location} ({_reason(exc)}).") from None
                self._pause(attempt)
                continue
            except httpx.TimeoutException:
                if safe and not last:
                    self._pause(attempt)
                    continue
                raise Unavailable(
                    f"The desk at {self.location} did not answer in time"
                    + ("" if safe else "; the request may or may not have been applied, check before repeating it")
                    + "."
                ) from None
            except httpx.TransportError as exc:
                if safe and not last:
                    self._pause(attempt)
                    continue
                raise Unavailable(
                    f"The connection to {self.location} broke ({_reason(exc)})"
                    + ("" if safe else "; the request may or may not have been applied, check before repeating it")
                    + "."
                ) from None
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
        self._sleep(delay + random.uniform(0, delay / 2 if retry_after is None else 0.1))

    def _call(self, method: str, path: str, *, safe: bool, auth: bool = True, expect_json: bool = True, **kwargs) -> Any:
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
            raise Unavailable(
                f"The desk at {self.location} answered HTTP {response.status_code} with "
                f"{_describe_body(response)} instead of the API's JSON."
            ) from None

    def _error(self, response: httpx.Response) -> DeskError:
        try:
            body = json.loads(response.content)
            error = body["error"]
            code, message, details = error["code"], str(error["message"]), dict(error.get("details") or {})
        except (ValueError, UnicodeDecodeError, KeyError, TypeError):
            if response.status_code == 401:
                return NotSignedIn(f"The desk at {self.location} refused the token (HTTP 401).")
            return Unavailable(
                f"The desk at {self.location} answered HTTP {response.status_code} with "
                f"{_describe_body(response)} instead of the API's JSON."
            )
        if code == OpenQuestionExists.code and isinstance(details.get("question_id"), int):
            return OpenQuestionExists(details["question_id"], message)
        if code == RateLimited.code:
            details.setdefault("retry_after", _retry_after(response))
        fallback = _BY_STATUS.get(response.status_code, Unavailable if response.status_code >= 500 else DeskError)
        return BY_CODE.get(code, fallback)(message, **details)

    def _record(self, kind, data):
        """Build a record from a reply, turning a wrong shape into a clear error."""
        try:
            if isinstance(data, list):
                return [kind.from_dict(item) for item in data]
            return kind.from_dict(data)
        except (TypeError, KeyError, AttributeError, ValueError):
            raise Unavailable(
                f"The desk at {self.location} answered with data this vksupport does not understand; "
                "is it a vksupport desk of a compatible version?"
            ) from None

    # -- the client API -------------------------------------------------------

    def me(self) -> User:
        return self._record(User, self._call("GET", "/me", safe=True))

    def search_help(self, query: str, *, category: str | None = None, limit: int = 10) -> list[SearchHit]:
        params = {"q": query, "limit": limit, **({"category": category} if category else {})}
        return self._record(SearchHit, self._call("GET", "/help/search", safe=True, auth=False, params=params))

    def article(self, slug: str) -> Article:
        return self._record(Article, self._call("GET", f"/help/articles/{quote(slug, safe='')}", safe=True, auth=False))

    def categories(self) -> list[str]:
        return sorted({topic.category for topic in self.topics()})

    def topics(self) -> list[Topic]:
        return self._record(Topic, self._call("GET", "/help/topics", safe=True, auth=False))

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
                {"filename": name, "content_base64": base64.b64encode(content).decode()} for name, content in attachments
            ],
        }
        key = idempotency_key or str(uuid.uuid4())  # a key makes the create safe to retry
        data = self._call("POST", "/questions", safe=True, json=payload, headers={"Idempotency-Key": key})
        return self._record(AskResult, data)

    def list_questions(self, *, status: str = "all", limit: int = 20, cursor: str | None = None) -> QuestionPage:
        params = {"status": status, "limit": limit, **({"cursor": cursor} if cursor else {})}
        return self._record(QuestionPage, self._call("GET", "/questions", safe=True, params=params))

    def get_question(self, question_id: int) -> Question:
        """The question; a repeated poll sends If-None-Match and reuses the copy on 304."""
        cached = self._etags.get(question_id)
        headers = {"If-None-Match": cached[0]} if cached else {}
        response = self._call("GET", f"/questions/{question_id}", safe=True, expect_json=False, headers=headers)
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
        payload: dict[str, Any] = {name: value for name, value in (("title", title), ("body", body), ("link", link)) if value is not None}
        if clear_link:
            payload["link"] = None
        return self._record(Question, self._call("PATCH", f"/questions/{question_id}", safe=True, json=payload))

    def delete_question(self, question_id: int) -> None:
        self._call("DELETE", f"/questions/{question_id}", safe=False, expect_json=False)

    def comment(self, question_id: int, body: str, *, idempotency_key: str | None = None) -> Comment:
        key = idempotency_key or str(uuid.uuid4())
        data = self._call(
            "POST", f"/questions/{question_id}/comments", safe=True, json={"body": body}, headers={"Idempotency-Key": key}
        )
        return self._record(Comment, data)

    def rate(self, question_id: int, rating: str, comment: str | None = None) -> Question:
        data = self._call("POST", f"/questions/{question_id}/rating", safe=False, json={"rating": rating, "comment": comment})
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
        response = self._call("GET", f"/questions/{question_id}/attachments/{attachment_id}", safe=True, expect_json=False)
        if meta is None:
            raise Unavailable("The desk sent an attachment its question does not list.")
        return meta, response.content

    def agent_take(self) -> Question | None:
        response = self._call("POST", "/agent/take", safe=False, expect_json=False)
        return None if response.status_code == 204 else self._record(Question, self._decode(response))

    def agent_answer(self, question_id: int, body: str) -> Question:
        return self._record(Question, self._call("POST", f"/agent/questions/{question_id}/answer", safe=False, json={"body": body}))

    def agent_queue(self, *, limit: int = 100) -> list[Question]:
        return self._record(Question, self._call("GET", "/agent/queue", safe=True, params={"limit": limit}))

    def close(self) -> None:
        self._http.close()


def _final_refusal(response: httpx.Response) -> bool:
    """A 503 that says 'not accepting questions' is the desk's decision, not a hiccup."""
    try:
        return json.loads(response.content)["error"]["code"] == "not_accepting"
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return False


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
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
    if not response.content:
        return "an empty body"
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    head = response.content[:512].lower()
    if b"captcha" in head:
        return "a captcha page"
    if content_type == "text/html" or head.lstrip().startswith((b"<!doctype", b"<html")):
        return "an HTML page (a proxy or error page?)"
    if "json" in content_type:
        return "broken JSON (a truncated reply?)"
    return f"a {content_type or 'body of unknown type'}"


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.split("\n")[0][:200] if text else exc.__class__.__name__
