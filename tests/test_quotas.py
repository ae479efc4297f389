"""Issue 12 items 4 and 11: per-user limits (questions a day, attachment storage) and file names
that agree with the bytes.

Desk-level tests move a hand-driven clock through the windows; the server and
CLI tests run a real `desk serve` with small limits set by its options and a
real `vksupport` subprocess, which must say which limit and when it resets.
"""

from __future__ import annotations

import shutil

import httpx
import pytest

from vksupport_cli.cli import exits
from vksupport_cli.desk.limits import Limits
from vksupport_cli.desk.service import Desk
from vksupport_cli.errors import BadInput, DailyLimitReached, QuotaExceeded

from cli_support import subprocess_run
from conftest import ask
from server_support import DeskServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 1000
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nxref\n0 1\ntrailer << >>\nstartxref\n9\n%%EOF\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def limited(request, db_path, clock):
    """A desk with small limits, on either database (the usage ledger is in both schemas)."""
    target = db_path if request.param == "sqlite" else request.getfixturevalue("pg_url")
    desk = Desk.open(
        target, clock=clock, limits=Limits(questions_per_day=3, attachment_quota_bytes=3 * len(PNG))
    )
    yield desk
    desk.close()


def test_questions_per_day_count_deleted_ones_and_reset_after_24_hours(limited, clock):
    alice = limited.ensure_user("alice")
    first = clock()
    for n in range(3):
        limited.delete_question(alice, ask(limited, alice, title=f"Вопрос {n}", body=f"Текст {n}").id)
        clock.advance(hours=1)
    with pytest.raises(DailyLimitReached) as refused:
        ask(limited, alice, title="Четвёртый", body="Ещё один")
    details = refused.value.details
    assert details["limit"] == "questions_per_day" and details["allowed"] == 3
    assert (
        details["resets_at"]
        == "2026-11-27T12:00:00.000Z"
        == (first.replace(day=27)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    )
    assert details["retry_after"] == 21 * 3600
    bob = limited.ensure_user("bob")
    assert ask(limited, bob).id  # one user's limit is theirs alone
    clock.advance(hours=21)
    assert ask(limited, alice, title="Наконец", body="Прошли сутки").id


def test_the_attachment_quota_counts_stored_bytes_over_30_days(limited, clock):
    alice = limited.ensure_user("alice")
    question = ask(limited, alice, attachments=[("a.png", PNG), ("b.png", PNG)])
    limited.attach(alice, question.id, "c.png", PNG)
    clock.advance(days=1)
    with pytest.raises(QuotaExceeded) as refused:
        limited.attach(alice, question.id, "d.png", PNG)
    details = refused.value.details
    assert details["limit"] == "attachment_bytes" and details["used"] == 3 * len(PNG)
    assert details["resets_at"] == "2026-12-26T12:00:00.000Z"  # when the first two leave the window
    limited.delete_question(alice, question.id)  # deleting does not give the quota back...
    second = ask(limited, alice)
    with pytest.raises(QuotaExceeded):
        limited.attach(alice, second.id, "d.png", PNG)
    clock.advance(days=30)  # ...time does
    assert limited.attach(alice, second.id, "d.png", PNG).size == len(PNG)


def test_the_sandbox_has_no_limits(desk, user):
    for n in range(25):
        desk.delete_question(user, ask(desk, user, title=f"Вопрос {n}", body=f"Текст {n}").id)


# -- item 11: names agree with the bytes; a PDF must end like one ------------------------------


@pytest.mark.parametrize(
    "name, content, stored",
    [
        ("evil.html", PNG, "evil.png"),
        ("photo", PNG, "photo.png"),
        ("scan.PNG", PNG, "scan.PNG"),
        ("doc.exe", PDF, "doc.pdf"),
        ("a.txt", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "a.jpg"),
        ("pic.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "pic.jpeg"),
        ("notes.log", "ошибка".encode(), "notes.log"),
        ("report 2024.v2 final", PNG, "report 2024.v2 final.png"),
    ],
)
def test_stored_names_end_in_the_extension_of_the_sniffed_type(desk, user, name, content, stored):
    question = ask(desk, user, attachments=[(name, content)])
    assert question.attachments[0].filename == stored


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-<script>alert(1)</script>",
        b"%PDF-1.7\n%%EOF",
        PDF[:-20],
        PDF.replace(b"startxref\n9", b"startxref\nx"),
    ],
    ids=["script", "no-startxref", "truncated", "no-offset"],
)
def test_a_pdf_needs_a_valid_trailer(desk, user, content):
    with pytest.raises(BadInput, match="does not end like one"):
        ask(desk, user, attachments=[("doc.pdf", content)])


def test_a_pdf_with_trailing_junk_after_eof_is_accepted(desk, user):
    question = ask(desk, user, attachments=[("doc.pdf", PDF + b"\r\n")])
    assert question.attachments[0].content_type == "application/pdf"


# -- through the server and the CLI: which limit, and when it resets ---------------------------


@pytest.fixture
def small_desk(tmp_path, _template_db):
    db = tmp_path / "desk.sqlite3"
    shutil.copy(_template_db, db)
    desk = Desk.open(db)
    token = desk.add_user("alice")[1]
    desk.close()
    with DeskServer(db, options=("--questions-per-day", "1", "--attachment-quota", "1")) as running:
        yield running, token


def test_the_daily_limit_is_a_429_and_the_cli_says_when_it_resets(small_desk, tmp_path):
    running, token = small_desk
    env = {"VKSUPPORT_TOKEN": token}
    first = subprocess_run(
        "--server", running.url, "ask", "--json", "-t", "account", "-s", "Первый", "-b", "Текст.", env=env
    )
    assert first.code == 0, first.stderr
    qid = first.json()["question"]["id"]
    assert subprocess_run("--server", running.url, "delete", str(qid), "--yes", env=env).code == 0
    second = subprocess_run(
        "--server", running.url, "ask", "-t", "account", "-s", "Второй", "-b", "Ещё.", env=env
    )
    assert second.code == exits.UNAVAILABLE
    assert "in the last 24 hours" in second.stderr and "The limit resets in 23 hours" in second.stderr
    reply = httpx.post(
        f"{running.url}/api/v1/questions",
        json={"topic": "account", "title": "Третий", "body": "Снова."},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 429 and int(reply.headers["Retry-After"]) > 23 * 3600
    assert reply.json()["error"]["code"] == "daily_limit"
    assert reply.json()["error"]["details"]["limit"] == "questions_per_day"


def test_the_attachment_quota_is_a_413_and_the_cli_says_which_quota(small_desk, tmp_path):
    running, token = small_desk
    env = {"VKSUPPORT_TOKEN": token}
    picture = tmp_path / "big.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * (700 * 1024))
    asked = subprocess_run(
        "--server",
        running.url,
        "ask",
        "--json",
        "-t",
        "account",
        "-s",
        "С файлом",
        "-b",
        "Файл.",
        "--attach",
        str(picture),
        env=env,
    )
    assert asked.code == 0, asked.stderr
    qid = asked.json()["question"]["id"]
    reply = httpx.post(
        f"{running.url}/api/v1/questions/{qid}/attachments",
        params={"filename": "again.png"},
        content=picture.read_bytes(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 413
    error = reply.json()["error"]
    assert error["code"] == "quota_exceeded" and error["details"]["limit"] == "attachment_bytes"
    assert error["details"]["resets_at"]
