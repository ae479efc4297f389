"""Issue 12: one client cannot hurt the server (items 3, 5, 6, 7), against a real `desk serve`.

Bodies are bounded while they arrive (413 in the API's error shape), deep or huge
JSON is a 400, slow clients are cut off, failed sign-ins are limited per client
address, and X-Forwarded-For counts only from proxies the operator names.
Every server listens on loopback; every loop here is bounded in count.
"""

from __future__ import annotations

import json
import shutil
import socket
import time

import httpx
import pytest

from vksupport_cli.desk.service import Desk

from server_support import DeskServer

API = "/api/v1"


@pytest.fixture(scope="module")
def desk_db(tmp_path_factory, _template_db):
    path = tmp_path_factory.mktemp("limits") / "desk.sqlite3"
    shutil.copy(_template_db, path)
    desk = Desk.open(path)
    desk.add_user("alice")
    desk.close()
    return path


def token_for(db, name: str) -> str:
    desk = Desk.open(db)
    try:
        return desk.add_user(name)[1]
    finally:
        desk.close()


@pytest.fixture(scope="module")
def server(desk_db):
    # Set through the environment, which `desk serve` reads too (and an old server ignores).
    env = {"VKSUPPORT_HEADER_TIMEOUT": "1", "VKSUPPORT_BODY_TIMEOUT": "2", "VKSUPPORT_AUTH_FAILURES": "20"}
    with DeskServer(desk_db, env=env) as running:
        yield running


def raw_exchange(server: DeskServer, head: bytes, body_chunks=(), *, timeout: float = 30) -> bytes:
    """Send ``head`` and the chunks on one connection; return everything the server sent back."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: what the tests expect of an oversized body
        received = b""
        try:
            while data := sock.recv(65536):
                received += data
        except (ConnectionResetError, TimeoutError):
            pass
        return received


def status_and_error(reply: bytes) -> tuple[int, dict]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)["error"] if body.strip() else {}


def chunked(pieces):
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)


# -- item 3: bodies are bounded while they arrive ------------------------------------------


def test_a_declared_oversized_json_body_is_refused_before_it_is_read(server, desk_db):
    token = token_for(desk_db, "big-json")
    head = (
        f"POST {API}/questions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {60 * 1024 * 1024}\r\n\r\n"
    ).encode()
    status, error = status_and_error(raw_exchange(server, head, [b"{" + b" " * 1000]))
    assert (status, error["code"]) == (413, "too_large")
    assert "1 MiB" in error["message"]


def test_an_undeclared_json_body_is_cut_off_at_the_limit(server, desk_db):
    token = token_for(desk_db, "chunked-json")
    head = (
        f"POST {API}/questions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    pieces = [b'{"body": "'] + [b"x" * 65536] * 17  # just over 1 MiB; the server must stop there
    status, error = status_and_error(raw_exchange(server, head, chunked(pieces)))
    assert (status, error["code"]) == (413, "too_large")


def test_an_upload_over_the_attachment_limit_is_cut_off_while_arriving(server, desk_db):
    token = token_for(desk_db, "big-upload")
    created = httpx.post(
        f"{server.url}{API}/questions",
        json={"topic": "account", "title": "Большой файл", "body": "Вот он."},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    qid = created.json()["question"]["id"]
    head = (
        f"POST {API}/questions/{qid}/attachments?filename=big.png HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    pieces = [b"\x89PNG\r\n\x1a\n"] + [b"\0" * 65536] * 161  # 10 MiB + 64 KiB
    status, error = status_and_error(raw_exchange(server, head, chunked(pieces)))
    assert (status, error["code"]) == (413, "too_large")
    assert "10 MiB" in error["message"]
    question = httpx.get(f"{server.url}{API}/questions/{qid}", headers={"Authorization": f"Bearer {token}"})
    assert question.json()["attachments"] == []


def test_attachments_are_no_longer_taken_as_base64_inside_json(server, desk_db):
    token = token_for(desk_db, "base64")
    reply = httpx.post(
        f"{server.url}{API}/questions",
        json={
            "topic": "account",
            "title": "С файлом",
            "body": "Файл внутри.",
            "attachments": [{"filename": "a.png", "content_base64": "iVBORw0KGgo="}],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 400
    assert "/attachments" in reply.json()["error"]["message"]


# -- item 5: deep or huge JSON is a 400, never a 500 ----------------------------------------

DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
HUGE_INT = b'{"title": ' + b"9" * 5_000 + b', "body": "x", "topic": "account"}'
HUGE_FLOAT = b'{"rating": 1e999999, "comment": ' + b"1" * 4_400 + b"}"


@pytest.mark.parametrize(
    "body",
    [DEEP_ARRAY, DEEP_OBJECT, HUGE_INT, HUGE_FLOAT],
    ids=["deep-array", "deep-object", "huge-int", "huge-float"],
)
@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/questions"),
        ("PATCH", "/questions/1"),
        ("POST", "/questions/1/comments"),
        ("POST", "/questions/1/rating"),
        ("POST", "/agent/questions/1/answer"),
    ],
)
def test_deep_or_huge_json_is_a_400_in_the_error_shape(server, desk_db, method, path, body):
    token = token_for(desk_db, f"deep-{method}-{path.replace('/', '-')}-{len(body)}-{body[:2].hex()}")
    reply = httpx.request(
        method,
        f"{server.url}{API}{path}",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert reply.status_code in (400, 403, 404), reply.text  # never a 5xx
    error = reply.json()["error"]
    assert set(error) == {"code", "message", "details"}
    if reply.status_code == 400:
        assert error["code"] == "invalid"


def test_a_huge_number_in_a_query_is_a_400(server, desk_db):
    token = token_for(desk_db, "huge-query")
    reply = httpx.get(
        f"{server.url}{API}/questions",
        params={"limit": "9" * 5000},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "invalid"


# -- item 6: slow clients are cut off ----------------------------------------------------------


def test_a_client_slow_to_send_its_headers_is_cut_off(server):
    """One header byte every 0.2 s: the server answers 408 and closes after --header-timeout (1 s)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\n")
        closed = False
        for _ in range(150):  # 30 s at most; the old server never closes
            try:
                sock.sendall(b"X")
                sock.settimeout(0.2)
                data = sock.recv(4096)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if data == b"" or data.startswith(b"HTTP/1.1 408"):
                closed = True
                break
        assert closed, "the server kept a slowloris connection open for 30 s"


def test_a_silent_connection_is_cut_off(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        reply = sock.recv(4096)  # blocks until the server answers or closes (the old one never did)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 408")


def test_a_client_slow_to_send_its_body_is_cut_off(server, desk_db):
    token = token_for(desk_db, "slow-body")
    head = (
        f"POST {API}/questions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head)
        closed = False
        for _ in range(150):
            try:
                sock.sendall(b" ")
                sock.settimeout(0.2)
                data = sock.recv(4096)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if data == b"" or data.startswith(b"HTTP/1.1 4"):
                closed = True
                break
        assert closed, "the server waited 30 s for a trickling body"


# -- item 7: failed sign-ins are limited per address; X-Forwarded-For only from named proxies ----


def test_failed_sign_ins_are_limited_per_address_whatever_x_forwarded_for_says(server, desk_db):
    statuses = []
    with httpx.Client(base_url=server.url) as client:
        for n in range(60):  # 20 a minute are allowed; the rest must be refused
            reply = client.get(
                f"{API}/me",
                headers={"Authorization": f"Bearer vks_guess{n}", "X-Forwarded-For": f"10.0.0.{n}"},
            )
            statuses.append(reply.status_code)
            if reply.status_code == 429:
                assert reply.json()["error"]["code"] == "rate_limited"
                assert int(reply.headers["Retry-After"]) >= 1
    assert statuses.count(401) <= 21 and statuses[-1] == 429, statuses


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_named(desk_db):
    def search_statuses(running: DeskServer) -> list[int]:
        with httpx.Client(base_url=running.url) as client:
            return [
                client.get(
                    f"{API}/help/search", params={"q": "пароль"}, headers={"X-Forwarded-For": f"10.1.0.{n}"}
                ).status_code
                for n in range(10)
            ]

    with DeskServer(desk_db, rate_limit=1) as untrusting:
        assert 429 in search_statuses(untrusting)  # rotating the header does not escape the limit
    with DeskServer(desk_db, rate_limit=1, options=("--forwarded-allow-ips", "127.0.0.1")) as behind_proxy:
        assert search_statuses(behind_proxy) == [200] * 10  # each forwarded address has its own bucket


def test_connections_past_the_limit_are_refused_not_queued(desk_db):
    """--max-connections bounds what one worker holds open: past it, a new request gets 503 at once."""
    with DeskServer(desk_db, options=("--max-connections", "4", "--header-timeout", "30")) as running:
        holders = [socket.create_connection(("127.0.0.1", running.port), timeout=30) for _ in range(6)]
        try:
            refused = httpx.get(f"{running.url}{API}/health", timeout=30)
        finally:
            for sock in holders:
                sock.close()
        assert refused.status_code == 503
        for _ in range(100):  # the server notices the closed connections within moments
            if httpx.get(f"{running.url}{API}/health", timeout=30).status_code == 200:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the server did not serve again once the connections closed")
