"""Issue 12 item 3: attachments go up as files, streamed, and a partly sent ask is recoverable.

A real `vksupport ask --attach` against a real `desk serve`: the question is
created, then each file is streamed as its own upload. When one upload is
refused, the person is told the question exists and which file did not go up,
the draft is kept, and resuming it sends only what is missing (never a second
question, never a second copy of a file already there).
"""

from __future__ import annotations

import shutil

import pytest

from vksupport_cli.cli import exits
from vksupport_cli.desk.service import Desk

from cli_support import subprocess_run
from server_support import DeskServer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@pytest.fixture
def served(tmp_path, _template_db):
    db = tmp_path / "desk.sqlite3"
    shutil.copy(_template_db, db)
    desk = Desk.open(db)
    token = desk.add_user("uploader")[1]
    desk.close()
    with DeskServer(db) as running:
        yield running, token


def cli(served, *args):
    running, token = served
    return subprocess_run("--server", running.url, *args, env={"VKSUPPORT_TOKEN": token})


def test_a_refused_upload_names_the_question_keeps_the_draft_and_resume_sends_only_the_rest(served, tmp_path):
    shot = tmp_path / "shot.png"
    shot.write_bytes(PNG)
    bad = tmp_path / "program.exe"
    bad.write_bytes(b"MZ\x90\x00 not a picture")
    log = tmp_path / "app.log"
    log.write_text("ошибка 42\n", encoding="utf-8")
    ask = ("ask", "--topic", "account", "--title", "Скриншот ошибки", "--body", "Файлы приложены.")

    first = cli(served, *ask, "--attach", str(shot), "--attach", str(bad))
    assert first.code == exits.USAGE, first.stderr
    assert "is in the queue, but the attachment program.exe did not go up" in first.stderr
    assert "vksupport ask --resume" in first.stderr  # the draft is kept, with the way to resend it

    listed = cli(served, "list", "--json").json()
    assert len(listed) == 1
    qid = listed[0]["id"]
    assert [a["size"] for a in cli(served, "show", str(qid), "--json").json()["attachments"]] == [len(PNG)]

    resumed = cli(served, "ask", "--resume", "latest", "--json", "--attach", str(shot), "--attach", str(log))
    assert resumed.code == 0, resumed.stderr
    question = resumed.json()["question"]
    assert question["id"] == qid  # the same question, found again by its idempotency key
    assert sorted(a["content_type"] for a in question["attachments"]) == ["image/png", "text/plain"]
    assert len(cli(served, "list", "--json").json()) == 1
    assert cli(served, "drafts", "list", "--json").json() == []


def test_a_large_attachment_goes_up_whole(served, tmp_path):
    big = tmp_path / "scan.png"
    big.write_bytes(PNG + b"\0" * (9 * 1024 * 1024))
    outcome = cli(
        served,
        "ask",
        "--json",
        "--topic",
        "account",
        "--title",
        "Скан",
        "--body",
        "Большой скан.",
        "--attach",
        str(big),
    )
    assert outcome.code == 0, outcome.stderr
    (attachment,) = outcome.json()["question"]["attachments"]
    assert attachment["size"] == big.stat().st_size
    import hashlib

    assert attachment["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()
