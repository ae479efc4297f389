"""The server and the http adapter over real loopback connections."""

from __future__ import annotations

import shutil
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from vksupport_cli.cli import exits
from vksupport_cli.client.http import HttpClient, check_url
from vksupport_cli.desk.service import Desk
from vksupport_cli.errors import BadInput, OpenQuestionExists, RateLimited

from cli_support import subprocess_run
from server_support import DeskServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(tmp_path, _template_db):
    path = tmp_path / "desk.sqlite3"
    shutil.copy(_template_db, path)
    return path


@pytest.fixture
def server(db):
    with DeskServer(db) as running:
        yield running


def tokens(db, *names, agent=False):
    desk = Desk.open(db)
    try:
        return [desk.add_user(name, "agent" if agent else "user")[1] for name in names]
    finally:
        desk.close()


# -- the CLI over HTTP: same exit codes --------------------------------------------


def test_the_cli_over_http_gives_the_same_exit_codes(server, db):
    user_token, stranger_token = tokens(db, "alice", "mallory")
    (agent_token,) = tokens(db, "smith", agent=True)
    as_user = {"VKSUPPORT_SERVER": server.url, "VKSUPPORT_TOKEN": user_token}
    as_agent = {**as_user, "VKSUPPORT_TOKEN": agent_token}
    ask = ["ask", "--topic", "hacked-page", "--title", "Взлом", "--body", "Сменили пароль."]

    created = subprocess_run(*ask, "--json", env=as_user)
    assert created.code == exits.OK, created.stderr
    qid = str(created.json()["question"]["id"])
    assert subprocess_run(*ask, env=as_user).code == exits.CONFLICT
    assert (
        subprocess_run("show", qid, env={**as_user, "VKSUPPORT_TOKEN": stranger_token}).code
        == exits.NOT_FOUND
    )
    assert (
        subprocess_run("show", qid, env={**as_user, "VKSUPPORT_TOKEN": "vks_wrong"}).code
        == exits.NOT_SIGNED_IN
    )
    assert subprocess_run("show", qid, env={"VKSUPPORT_SERVER": server.url}).code == exits.NOT_SIGNED_IN
    assert subprocess_run("list", "--status", "nope", env=as_user).code == exits.USAGE
    assert (
        subprocess_run("wait", qid, "--timeout", "0.3", "--interval", "0.1", env=as_user).code
        == exits.TIMEOUT
    )
    assert subprocess_run("agent", "take", env=as_user).code == exits.ERROR  # a user is not an agent
    assert subprocess_run("agent", "take", "--json", env=as_agent).json()["id"] == int(qid)
    assert subprocess_run("edit", qid, "--title", "Поздно", env=as_user).code == exits.CONFLICT
    assert subprocess_run("agent", "answer", qid, "--body", "Ответ.", env=as_agent).code == exits.OK
    waited = subprocess_run("wait", qid, "--timeout", "5", "--interval", "0.1", "--json", env=as_user)
    assert waited.code == exits.OK and waited.json()["status"] == "answered"
    assert subprocess_run("rate", qid, "good", env=as_user).code == exits.OK
    assert subprocess_run("desk", "accepting", "off", "--db", str(db)).code == exits.OK
    refused = subprocess_run(*ask, env=as_user)
    assert refused.code == exits.UNAVAILABLE and "not accepting" in refused.stderr


def test_unreachable_desk_is_exit_6(db):
    outcome = subprocess_run("list", env={"VKSUPPORT_SERVER": "http://127.0.0.1:9", "VKSUPPORT_TOKEN": "x"})
    assert outcome.code == exits.UNAVAILABLE
    assert "Cannot reach" in outcome.stderr and "Traceback" not in outcome.stderr


# -- one open question, under concurrency -------------------------------------------


def _race(urls, token, count=20):
    barrier = threading.Barrier(count)

    def one(n):
        client = HttpClient(urls[n % len(urls)], token)
        barrier.wait()
        try:
            client.ask(topic="account", title=f"Гонка {n}", body="Кто первый?")
            return "created"
        except OpenQuestionExists:
            return "conflict"
        finally:
            client.close()

    with ThreadPoolExecutor(count) as pool:
        return sorted(pool.map(one, range(count)))


def test_twenty_concurrent_asks_create_one_question(server, db):
    (token,) = tokens(db, "racer")
    assert _race([server.url], token) == ["conflict"] * 19 + ["created"]
    assert len(HttpClient(server.url, token).list_questions().questions) == 1


def test_two_server_processes_on_one_database_create_one_question(db):
    (token,) = tokens(db, "racer")
    with DeskServer(db) as first, DeskServer(db) as second:
        assert _race([first.url, second.url], token) == ["conflict"] * 19 + ["created"]
        assert len(HttpClient(second.url, token).list_questions().questions) == 1


def test_two_worker_processes_hold_the_rule_too(db):
    (token,) = tokens(db, "racer")
    with DeskServer(db, workers=2) as running:
        assert _race([running.url], token) == ["conflict"] * 19 + ["created"]


# -- idempotency after a dropped connection -----------------------------------------


class DroppingProxy:
    """A loopback TCP proxy that forwards the first request, then hangs up before the reply."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.dropped = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client):
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        drop = self.dropped == 0
        request = _read_http_message(client)
        upstream.sendall(request)
        reply = _read_http_message(upstream)  # the desk has done the work by now
        if drop:
            self.dropped += 1
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            client.close()  # RST: the reply never arrives
        else:
            client.sendall(reply)
            client.close()
        upstream.close()

    def close(self):
        self.listener.close()


def _read_http_message(sock) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_create_replayed_after_a_dropped_connection_makes_one_question(server, db):
    (token,) = tokens(db, "unlucky")
    proxy = DroppingProxy(server.port)
    client = HttpClient(f"http://127.0.0.1:{proxy.port}", token, sleep=lambda s: None)
    result = client.ask(topic="account", title="Один раз", body="Только один вопрос.")
    assert proxy.dropped == 1  # the first reply was lost, the retry carried the same key
    direct = HttpClient(server.url, token)
    assert [q.id for q in direct.list_questions().questions] == [result.question.id]
    proxy.close()


# -- HTTP niceties ------------------------------------------------------------------


def test_etag_and_conditional_get(server, db):
    (token,) = tokens(db, "poller")
    client = HttpClient(server.url, token)
    question = client.ask(topic="account", title="Т", body="Б").question
    auth = {"Authorization": f"Bearer {token}"}
    first = httpx.get(f"{server.url}/api/v1/questions/{question.id}", headers=auth)
    etag = first.headers["etag"]
    again = httpx.get(f"{server.url}/api/v1/questions/{question.id}", headers={**auth, "If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    client.comment(question.id, "Изменение")
    changed = httpx.get(
        f"{server.url}/api/v1/questions/{question.id}", headers={**auth, "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != etag

    seen = []
    hooked = HttpClient(server.url, token)
    hooked._http.event_hooks["response"].append(lambda r: seen.append(r.status_code))
    assert hooked.get_question(question.id) == hooked.get_question(question.id)
    assert seen == [200, 304]


def test_rate_limit_answers_429_with_retry_after(db):
    (token,) = tokens(db, "hasty")
    with DeskServer(db, rate_limit=1) as running:
        auth = {"Authorization": f"Bearer {token}"}
        replies = [httpx.get(f"{running.url}/api/v1/me", headers=auth) for _ in range(4)]
        limited = [r for r in replies if r.status_code == 429]
        assert limited and int(limited[0].headers["retry-after"]) >= 1
        assert limited[0].json()["error"]["code"] == "rate_limited"
        client = HttpClient(running.url, token, attempts=1)
        with pytest.raises(RateLimited):
            for _ in range(4):
                client.me()
        patient = HttpClient(running.url, token)  # honours Retry-After and gets through
        assert patient.me().name == "hasty"


def test_error_bodies_have_one_shape(server, db):
    (token,) = tokens(db, "shape")
    auth = {"Authorization": f"Bearer {token}"}
    cases = [
        ("GET", "/api/v1/questions/999", auth, None, 404, "not_found"),
        ("GET", "/api/v1/questions", {}, None, 401, "unauthorized"),
        ("POST", "/api/v1/questions", auth, b"{not json", 400, "invalid"),
        ("POST", "/api/v1/questions", auth, b"[]", 400, "invalid"),
        ("POST", "/api/v1/agent/take", auth, None, 403, "not_allowed"),
        ("GET", "/api/v1/nowhere", {}, None, 404, "not_found"),
        ("GET", "/api/v1/help/search?q=x&limit=abc", {}, None, 400, "invalid"),
    ]
    for method, path, headers, body, status, code in cases:
        reply = httpx.request(method, server.url + path, headers=headers, content=body)
        assert (reply.status_code, reply.json()["error"]["code"]) == (status, code), path
        assert set(reply.json()["error"]) == {"code", "message", "details"}


def test_open_question_error_carries_its_id(server, db):
    (token,) = tokens(db, "twice")
    client = HttpClient(server.url, token)
    first = client.ask(topic="account", title="Т", body="Б").question
    reply = httpx.post(
        f"{server.url}/api/v1/questions",
        headers={"Authorization": f"Bearer {token}"},
        json={"topic": "account", "title": "Т2", "body": "Б2"},
    )
    assert reply.status_code == 409
    assert reply.json()["error"] == {
        "code": "open_question_exists",
        "message": reply.json()["error"]["message"],
        "details": {"question_id": first.id},
    }


def test_attachment_upload_download_and_traversal(server, db):
    (token,) = tokens(db, "uploader")
    client = HttpClient(server.url, token)
    question = client.ask(topic="account", title="Т", body="Б").question
    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100
    added = client.attach(question.id, "../../etc/evil.png", png)
    assert added.filename == "evil.png"
    _meta, content = client.attachment_content(question.id, added.id)
    assert content == png
    too_big = httpx.post(
        f"{server.url}/api/v1/questions/{question.id}/attachments?filename=big.png",
        headers={"Authorization": f"Bearer {token}"},
        content=b"\x89PNG\r\n\x1a\n" + b"0" * (12 * 1024 * 1024),
    )
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "too_large"


@pytest.mark.parametrize(
    "url, insecure, ok",
    [
        ("https://desk.example", False, True),
        ("http://127.0.0.1:8080", False, True),
        ("http://localhost:8080/", False, True),
        ("http://[::1]:8080", False, True),
        ("http://desk.example", False, False),
        ("http://desk.example", True, True),
        ("https://user:pass@desk.example", False, False),
        ("ftp://desk.example", False, False),
        ("desk.example", False, False),
    ],
)
def test_plain_http_only_to_loopback(url, insecure, ok):
    if ok:
        assert check_url(url, insecure=insecure).startswith(("http://", "https://"))
    else:
        with pytest.raises(BadInput):
            check_url(url, insecure=insecure)


def test_a_slow_client_does_not_hold_up_the_others(server, db):
    (token,) = tokens(db, "slowpoke")
    stalled = socket.create_connection(("127.0.0.1", server.port))
    stalled.sendall(
        b"POST /api/v1/questions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token.encode() + b'\r\nContent-Length: 100000\r\n\r\n{"topic": '
    )  # ... and never the rest
    try:
        client = HttpClient(server.url, token)
        for _ in range(5):
            assert client.search_help("пароль")
            assert client.list_questions().questions == []
        client.close()
    finally:
        stalled.close()


def test_an_idempotency_key_replayed_with_another_request_is_422(server, db):
    """The attack of issue 12 over HTTP: K on question A, then K on question B."""
    (token,) = tokens(db, "replayer")
    (agent_token,) = tokens(db, "smith", agent=True)
    auth = {"Authorization": f"Bearer {token}", "Idempotency-Key": "K"}
    client, agent = HttpClient(server.url, token), HttpClient(server.url, agent_token)
    first = client.ask(topic="account", title="Первый", body="Первый вопрос.").question
    made = httpx.post(
        f"{server.url}/api/v1/questions/{first.id}/comments", headers=auth, json={"body": "Деталь."}
    )
    assert made.status_code == 201
    agent.agent_take()
    agent.agent_answer(first.id, "Ответ.")
    client.close_question(first.id)
    second = client.ask(topic="account", title="Второй", body="Второй вопрос.").question
    for path, body in (
        (f"/questions/{second.id}/comments", {"body": "Деталь."}),  # another question
        (f"/questions/{first.id}/comments", {"body": "Другая деталь."}),  # another text
        (
            "/questions",
            {"topic": "account", "title": "Третий", "body": "Третий вопрос."},
        ),  # another operation
    ):
        reply = httpx.post(f"{server.url}/api/v1{path}", headers=auth, json=body)
        assert reply.status_code == 422, (path, reply.text)
        assert reply.json()["error"]["code"] == "idempotency_mismatch"
        assert reply.json()["error"]["details"] == {"question_id": first.id}
    assert client.get_question(second.id).comments == []
    assert [q.id for q in client.list_questions().questions] == [second.id, first.id]
    replay = httpx.post(
        f"{server.url}/api/v1/questions/{first.id}/comments", headers=auth, json={"body": "Деталь."}
    )
    assert (replay.status_code, replay.json()["id"]) == (201, made.json()["id"])
