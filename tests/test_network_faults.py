"""The real CLI (a subprocess) against a misbehaving HTTP server on loopback.

``Hostile`` is a tiny socket server on 127.0.0.1 (port 0) that reads one HTTP
request per connection and then does whatever the case says: answer an HTML
page, an empty or truncated body, JSON of the wrong shape, a 5xx, a 503 with
Retry-After, reset the connection, or never answer. Every case runs `list`,
`show 1` and `ask ...` through ``python -m vksupport_cli`` and checks the
README's contract: the documented exit code (6: network error or desk
unavailable), one clear ``Error:`` line on stderr naming the HTTP status when
there was one (for `ask`, after the line naming the draft its text was kept
in), no traceback, the token nowhere in the output or the files; and for
`ask`, that every attempt carried the same ``Idempotency-Key``.

The client's retries sleep for real (backoff 0.5 + 1 + 2 s, or Retry-After),
so all runs of the module start together from one module fixture, which keeps
the file to about 25 s on a quiet 2-core machine (40 s on a busy one). The one knob the tests turn is the read
timeout for the "reply never comes" case: the http adapter waits 15 s per
attempt and tries four times (about 64 s per command), so that case sets
``VKSUPPORT_TIMEOUT`` to 1 s.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus

import pytest

from vksupport_cli.cli import exits
from vksupport_cli.desk.models import AskResult, QuestionPage
from vksupport_cli.desk.service import Desk

from cli_support import Outcome

TOKEN = "vks_TEST-secret-token-never-printed-7f3a9c"
SHORT_READ_TIMEOUT = 1.0  # seconds, for the "reply never comes" case only
HANG_SECONDS = 30.0  # far longer than any read timeout the CLI uses with the shim
RUN_TIMEOUT = 45.0  # a bound on one CLI run, so a hung client fails the test instead of the suite

COMMANDS: dict[str, tuple[list[str], str, str, str]] = {
    # name: (argv, the method and path the CLI must request, what stdout shows on success)
    "list": (["list"], "GET", "/api/v1/questions", "waiting"),
    "show": (["show", "1"], "GET", "/api/v1/questions/1", "#1 T"),
    "ask": (
        ["ask", "--topic", "account", "--title", "T", "--body", "B"],
        "POST",
        "/api/v1/questions",
        "Question #1 is in the queue",
    ),
}


# -- the misbehaving server --------------------------------------------------------


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


RESET = object()  # close with SO_LINGER 0 right after reading the request: the client sees an RST
HANG = object()  # read the request and never answer

Reply = Callable[[int, Seen], object]  # (n-th request, 0-based; the request) -> bytes | RESET | HANG


class Hostile:
    """A loopback HTTP/1.1 server whose every reply is chosen by ``reply``; one request per connection."""

    def __init__(self, reply: Reply):
        self.reply = reply
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            request = _read_request(conn)
            if request is None:
                return
            with self._lock:
                number = len(self.requests)
                self.requests.append(request)
            action = self.reply(number, request)
            if action is RESET:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif action is HANG:
                self._stop.wait(HANG_SECONDS)
            else:
                conn.sendall(action)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


def _read_request(conn: socket.socket) -> Seen | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Seen(method, path, headers, body)


def http(
    status: int,
    body: bytes = b"",
    content_type: str | None = "application/json",
    *,
    extra: dict | None = None,
    length: int | None = None,
) -> bytes:
    """A whole HTTP/1.1 reply; ``length`` overrides Content-Length (to promise more than is sent)."""
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Content-Length: {len(body) if length is None else length}",
        "Connection: close",
    ]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


HTML = "text/html; charset=utf-8"
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>"
BAD_GATEWAY = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
SERVER_ERROR = b"<html><body><h1>500 Internal Server Error</h1><p>Something went wrong.</p></body></html>"
CAPTCHA = b"<!DOCTYPE html><html><body><form action='/captcha'><img src='/captcha.png'>Enter the captcha to continue</form></body></html>"


def always(reply: bytes) -> Reply:
    return lambda n, request: reply


def first_then(first: object, then: bytes) -> Reply:
    return lambda n, request: first if n == 0 else then


def retyped(good: bytes) -> bytes:
    """The correct reply with a timestamp sent as a Unix time and the summary as a list: right keys, wrong types."""
    data = json.loads(good)
    question = data["questions"][0] if "questions" in data else data.get("question", data)
    question.update(created_at=1767225600, title=["T"])
    return json.dumps(data).encode()


def error_quoting_the_token(n: int, request: Seen) -> bytes:
    """The desk's own JSON error, whose message quotes the token it was sent."""
    token = request.headers.get("authorization", "").partition(" ")[2]
    message = f"The token {token} has expired."
    return http(
        401, json.dumps({"error": {"code": "unauthorized", "message": message, "details": {}}}).encode()
    )


def echoing_page(n: int, request: Seen) -> bytes:
    """A proxy error page that quotes the request back, token included."""
    quoted = "\n".join(f"{name}: {value}" for name, value in request.headers.items())
    return http(
        502,
        f"<html><body><h1>502 Bad Gateway</h1><pre>{request.method} {request.path}\n{quoted}</pre></body></html>".encode(),
        HTML,
    )


# -- the cases ----------------------------------------------------------------------


@dataclass
class Case:
    name: str
    reply: Callable[[bytes], Reply]  # given the correct reply for the command, how the server answers
    code: int = exits.UNAVAILABLE
    says: tuple[str, ...] = ()  # must all be on the one "Error:" line
    attempts: int = 1  # requests the server must see (the first try plus retries)
    short_timeout: bool = False
    min_seconds: float = 0.0


CASES = [
    Case("html-200", lambda good: always(http(200, HTML_PAGE, HTML)), says=("HTTP 200", "HTML page")),
    Case(
        "html-502",
        lambda good: always(http(502, BAD_GATEWAY, HTML)),
        says=("HTTP 502", "HTML page"),
        attempts=4,
    ),
    Case("empty-200", lambda good: always(http(200, b"")), says=("HTTP 200", "empty body")),
    Case("empty-200-no-type", lambda good: always(http(200, b"", None)), says=("HTTP 200", "empty body")),
    Case(
        "truncated-json",
        lambda good: always(http(200, good[: len(good) // 2])),
        says=("HTTP 200", "broken JSON"),
    ),
    # The body stops short of its Content-Length: the connection broke mid-reply, safe requests retry.
    Case(
        "cut-off-body",
        lambda good: always(http(200, good[: len(good) // 2], length=len(good))),
        says=("broke",),
        attempts=4,
    ),
    Case("shape-object", lambda good: always(http(200, b'{"foo": 1}')), says=("does not understand",)),
    Case(
        "shape-list",
        lambda good: always(http(200, b"[]")),
        says=("does not understand",),
    ),
    Case("shape-scalar", lambda good: always(http(200, b'"ok"')), says=("does not understand",)),
    Case(
        "shape-wrong-types",
        lambda good: always(http(200, retyped(good))),
        says=("does not understand",),
    ),
    Case("html-500", lambda good: always(http(500, SERVER_ERROR, HTML)), says=("HTTP 500", "HTML page")),
    Case(
        "503-retry-after-always",
        lambda good: always(http(503, b"Service Unavailable", "text/plain", extra={"Retry-After": "1"})),
        says=("HTTP 503",),
        attempts=4,
        min_seconds=3.0,
    ),
    Case(
        "503-retry-after-once",
        lambda good: first_then(
            http(503, b"Service Unavailable", "text/plain", extra={"Retry-After": "1"}), http(200, good)
        ),
        code=exits.OK,
        attempts=2,
        min_seconds=1.0,
    ),
    # A Retry-After beyond what the client waits out (30 s) is reported at once, not slept through.
    Case(
        "503-retry-after-an-hour",
        lambda good: always(
            http(
                503,
                BAD_GATEWAY.replace(b"502 Bad Gateway", b"503 Service Unavailable"),
                HTML,
                extra={"Retry-After": "3600"},
            )
        ),
        says=("HTTP 503",),
    ),
    Case(
        "429-retry-after-an-hour",
        lambda good: always(
            http(
                429,
                b'{"error": {"code": "rate_limited", "message": "Slow down.", "details": {}}}',
                extra={"Retry-After": "3600"},
            )
        ),
        says=("slow down",),
    ),
    Case("connection-reset", lambda good: always(RESET), says=("broke",), attempts=4),
    Case("reset-once", lambda good: first_then(RESET, http(200, good)), code=exits.OK, attempts=2),
    Case(
        "no-reply",
        lambda good: always(HANG),
        says=("did not answer in time",),
        attempts=4,
        short_timeout=True,
    ),
    Case("captcha-200", lambda good: always(http(200, CAPTCHA, HTML)), says=("HTTP 200", "captcha")),
    Case("captcha-403", lambda good: always(http(403, CAPTCHA, HTML)), says=("HTTP 403", "captcha")),
    Case("page-quoting-the-token", lambda good: echoing_page, says=("HTTP 502",), attempts=4),
    # The desk's own error shape, with a detail whose name clashes with the error's own fields.
    Case(
        "error-detail-named-message",
        lambda good: always(
            http(
                400,
                json.dumps(
                    {
                        "error": {
                            "code": "invalid",
                            "message": "The summary is too long.",
                            "details": {"field": "title", "message": "too long"},
                        }
                    }
                ).encode(),
            )
        ),
        code=exits.USAGE,
        says=("The summary is too long.",),
    ),
    Case(
        "json-error-quoting-the-token",
        lambda good: error_quoting_the_token,
        code=exits.NOT_SIGNED_IN,
        says=("expired",),
    ),
]


# -- running every case once, concurrently --------------------------------------------


@dataclass
class Run:
    outcome: Outcome
    requests: list[Seen]
    seconds: float


@pytest.fixture(scope="module")
def good_replies(_template_db, tmp_path_factory) -> dict[str, bytes]:
    """The correct reply body for each command, made by the real desk (so it follows the models)."""
    path = tmp_path_factory.mktemp("faults") / "desk.sqlite3"
    shutil.copy(_template_db, path)
    desk = Desk.open(path)
    try:
        user, _ = desk.add_user("alice")
        result = desk.ask(user, topic="account", title="T", body="B")
        page = desk.list_questions(user)
    finally:
        desk.close()
    assert result.question.id == 1
    as_bytes = lambda data: json.dumps(data, ensure_ascii=False).encode()  # noqa: E731
    return {
        "list": as_bytes(QuestionPage.to_dict(page)),
        "show": as_bytes(result.question.to_dict()),
        "ask": as_bytes(AskResult.to_dict(result)),
    }


def _env(home) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("VKSUPPORT_") and name != "NO_COLOR"
    }
    # English messages, whatever the machine's locale: the cases look for words in them.
    return {**env, "VKSUPPORT_HOME": str(home), "VKSUPPORT_TOKEN": TOKEN, "VKSUPPORT_LANG": "en"}


def _run_one(case: Case, command: str, good: bytes, env: dict[str, str]) -> Run:
    server = Hostile(case.reply(good))
    argv = COMMANDS[command][0]
    timeout = {"VKSUPPORT_TIMEOUT": str(SHORT_READ_TIMEOUT)} if case.short_timeout else {}
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "vksupport_cli", *argv],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            env={**env, **timeout, "VKSUPPORT_SERVER": server.url},
        )
    finally:
        server.close()
    return Run(
        Outcome(done.returncode, done.stdout, done.stderr), list(server.requests), time.monotonic() - started
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One VKSUPPORT_HOME for every run of the module (the autouse one is per test, these runs are per module)."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def runs(good_replies, home) -> dict[tuple[str, str], Run]:
    """Every (case, command) run once; the runs overlap, since most of their time is the client's sleeping."""
    env = _env(home)
    jobs = [(case, command) for case in CASES for command in COMMANDS]
    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = {
            (case.name, command): pool.submit(_run_one, case, command, good_replies[command], env)
            for case, command in jobs
        }
        return {key: future.result() for key, future in futures.items()}


def _params():
    for case in CASES:
        for command in COMMANDS:
            yield pytest.param(case, command, id=f"{case.name}-{command}")


# -- the contract ---------------------------------------------------------------------


@pytest.mark.parametrize("case, command", list(_params()))
def test_a_misbehaving_desk_gives_the_documented_exit_and_one_line(runs, home, case: Case, command: str):
    run = runs[(case.name, command)]
    outcome, requests = run.outcome, run.requests
    shown = f"exit {outcome.code}\nstdout: {outcome.stdout!r}\nstderr: {outcome.stderr!r}"

    assert "Traceback" not in outcome.stderr + outcome.stdout, shown
    assert TOKEN not in outcome.stdout and TOKEN not in outcome.stderr, "the token leaked into the output"
    assert outcome.code == case.code, shown
    _, method, path, success = COMMANDS[command]
    if case.code == exits.OK:
        assert not outcome.stderr.strip(), shown
        assert success in outcome.stdout, shown
    else:
        lines = [line for line in outcome.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("Error: ")]
        assert len(errors) == 1 and lines[-1] == errors[0], shown
        for words in case.says:
            assert words in errors[0], f"{words!r} missing: {shown}"
        assert not outcome.stdout.strip(), shown
        if command == "ask" and case.code == exits.USAGE:
            # The desk refused the content: the same command would fail the same way, so no draft
            # piles up (the text was given as options, not typed), and nothing offers --resume.
            assert len(lines) == 1 and "--resume" not in outcome.stderr, shown
        elif command == "ask":
            # No draft is lost: the unsent question is kept, and the CLI says so on a line before the error.
            assert len(lines) == 2 and lines[0].startswith("Your text is kept as draft "), shown
            draft_id = lines[0].removeprefix("Your text is kept as draft ").split(";")[0]
            draft = json.loads((home / "data" / "drafts" / f"{draft_id}.json").read_text())
            assert (
                draft["kind"],
                draft["fields"]["topic"],
                draft["fields"]["title"],
                draft["fields"]["body"],
            ) == (
                "ask",
                "account",
                "T",
                "B",
            )
            # `ask --resume` sends the draft's key (tests/test_drafts.py): the one these attempts carried,
            # so a resend after an unknown outcome can only replay, never make a second question.
            assert {request.headers.get("idempotency-key") for request in requests} == {
                draft["idempotency_key"]
            }
        else:
            assert len(lines) == 1, shown

    assert len(requests) == case.attempts, f"{len(requests)} requests, expected {case.attempts}: {shown}"
    assert run.seconds >= case.min_seconds, f"retried after {run.seconds:.2f} s, before Retry-After allowed"
    for request in requests:
        assert (request.method, request.path.split("?")[0]) == (method, path)
        assert request.headers.get("authorization") == f"Bearer {TOKEN}"
        assert TOKEN not in request.path  # only ever in the Authorization header
    if command == "ask":
        keys = [request.headers.get("idempotency-key") for request in requests]
        assert all(keys), "a create without an Idempotency-Key cannot be retried safely"
        assert len(set(keys)) == 1, f"a retried create must reuse its key, got {keys}"
        assert json.loads(requests[0].body)["title"] == "T"


def test_the_token_is_written_to_no_file(runs, home):
    """Whatever the desk answered, the token went only into the Authorization header: not into drafts or config."""
    leaked = [path for path in home.rglob("*") if path.is_file() and TOKEN.encode() in path.read_bytes()]
    assert not leaked
