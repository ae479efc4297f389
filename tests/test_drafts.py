"""Nothing the user typed is lost: drafts across failures, resume, idempotent resends."""

from __future__ import annotations

import io
import json
import shutil
import stat
import sys

import pytest
from test_cli import _terminal_context

from vksupport_cli import drafts, paths
from vksupport_cli.cli import exits
from vksupport_cli.cli.main import run
from vksupport_cli.client.local import SANDBOX_USER
from vksupport_cli.desk.service import Desk

from cli_support import in_process, subprocess_run
from server_support import DeskServer, free_port

ASK = [
    "ask",
    "--topic",
    "hacked-page",
    "--title",
    "Страницу взломали",
    "--body",
    "Длинное объяснение, которое жалко потерять.",
]


pytestmark = pytest.mark.usefixtures("sandbox")


def only_draft() -> drafts.Draft:
    found = drafts.all_drafts()
    assert len(found) == 1, found
    return found[0]


def editor(tmp_path, monkeypatch, script: str):
    path = tmp_path / "editor"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(path))
    monkeypatch.delenv("VISUAL", raising=False)


def test_a_refused_question_is_kept_and_resent_without_prompts():
    in_process("desk", "accepting", "off")
    refused = subprocess_run(*ASK)
    assert refused.code == exits.UNAVAILABLE
    draft = only_draft()
    assert draft.fields["body"] == "Длинное объяснение, которое жалко потерять."
    assert f"vksupport ask --resume {draft.id}" in refused.stderr
    assert stat.S_IMODE(draft.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(drafts.folder().stat().st_mode) == 0o700

    in_process("desk", "accepting", "on")
    resent = subprocess_run("ask", "--resume", draft.id, "--json")
    assert resent.code == 0, resent.stderr
    assert resent.json()["question"]["body"] == draft.fields["body"]
    assert drafts.all_drafts() == []


def test_resending_after_an_unknown_outcome_never_makes_a_second_question():
    in_process("desk", "accepting", "off")
    in_process(*ASK)
    draft = only_draft()
    in_process("desk", "accepting", "on")
    # The first attempt did reach the desk after all (its reply was lost):
    desk = Desk.open(paths.sandbox_db())
    first = desk.ask(
        desk.ensure_user(SANDBOX_USER),
        topic="hacked-page",
        title="Страницу взломали",
        body=draft.fields["body"],
        idempotency_key=draft.idempotency_key,
    ).question
    desk.close()
    resent = in_process("ask", "--resume", "latest", "--json")
    assert resent.code == 0  # not a conflict with itself
    assert resent.json()["question"]["id"] == first.id
    assert [q["id"] for q in in_process("list", "--json").json()] == [first.id]


def test_a_draft_whose_key_made_another_request_is_kept_with_a_new_key():
    """The first send reached the desk (its reply was lost); then the text changed and was resent."""
    desk = Desk.open(paths.sandbox_db())
    me = desk.ensure_user(SANDBOX_USER)
    question = desk.ask(me, topic="account", title="Вопрос", body="Текст вопроса.").question
    desk.close()
    # Make a kept comment draft whose key already made a comment with other text:
    draft = drafts.Draft(kind="comment", server="sandbox", question_id=question.id)
    draft.fields["body"] = "Исправленный текст."
    draft.save()
    desk = Desk.open(paths.sandbox_db())
    first = desk.comment(me, question.id, "Первый вариант.", idempotency_key=draft.idempotency_key)
    desk.close()

    refused = subprocess_run("comment", str(question.id), "--resume", draft.id)
    assert refused.code == exits.CONFLICT
    assert "Traceback" not in refused.stderr
    assert f"#{question.id}" in refused.stderr and f"vksupport show {question.id}" in refused.stderr
    assert f"vksupport comment {question.id} --resume {draft.id}" in refused.stderr
    assert f"vksupport drafts discard {draft.id}" in refused.stderr
    kept = only_draft()
    assert (kept.id, kept.fields["body"]) == (draft.id, "Исправленный текст.")
    assert kept.idempotency_key != draft.idempotency_key  # the text is a new request now

    resent = subprocess_run("comment", str(question.id), "--resume", draft.id, "--json")
    assert resent.code == exits.OK, resent.stderr
    assert resent.json()["body"] == "Исправленный текст." and resent.json()["id"] != first.id
    assert drafts.all_drafts() == []
    bodies = [c["body"] for c in in_process("show", str(question.id), "--json").json()["comments"]]
    assert bodies == ["Первый вариант.", "Исправленный текст."]


def test_an_ask_draft_resent_with_another_text_is_refused_and_kept():
    in_process("desk", "accepting", "off")
    in_process(*ASK)
    draft = only_draft()
    in_process("desk", "accepting", "on")
    desk = Desk.open(paths.sandbox_db())  # the first attempt did reach the desk
    first = desk.ask(
        desk.ensure_user(SANDBOX_USER),
        topic="hacked-page",
        title="Страницу взломали",
        body=draft.fields["body"],
        idempotency_key=draft.idempotency_key,
    ).question
    desk.close()
    changed = subprocess_run("ask", "--resume", "latest", "--body", "Другое объяснение.")
    assert changed.code == exits.CONFLICT, changed.stderr
    assert f"vksupport show {first.id}" in changed.stderr
    kept = only_draft()
    assert kept.fields["body"] == "Другое объяснение."
    assert [q["id"] for q in in_process("list", "--json").json()] == [first.id]


def test_a_comment_survives_a_desk_that_is_down(tmp_path, _template_db):
    db = tmp_path / "desk.sqlite3"
    shutil.copy(_template_db, db)
    desk = Desk.open(db)
    user, token = desk.add_user("alice")
    question = desk.ask(user, topic="account", title="Вопрос", body="Текст").question
    desk.close()
    port = free_port()
    env = {"VKSUPPORT_SERVER": f"http://127.0.0.1:{port}", "VKSUPPORT_TOKEN": token}
    down = subprocess_run("comment", str(question.id), "--body", "Важная деталь.", env=env)
    assert down.code == exits.UNAVAILABLE
    draft = only_draft()
    assert (draft.kind, draft.question_id, draft.fields["body"]) == ("comment", question.id, "Важная деталь.")
    with DeskServer(db, port=port):
        resent = subprocess_run("comment", str(question.id), "--resume", "latest", "--json", env=env)
        assert resent.code == 0, resent.stderr
        assert resent.json()["body"] == "Важная деталь."
        again = subprocess_run("comment", str(question.id), "--resume", "latest", env=env)
        assert again.code == exits.NOT_FOUND  # nothing left to resend
    assert drafts.all_drafts() == []


def test_an_editor_crash_keeps_what_was_written(tmp_path, monkeypatch):
    in_process(*ASK)
    editor(tmp_path, monkeypatch, 'printf "Текст, набранный перед сбоем." > "$1"\nexit 3\n')
    ctx = _terminal_context()
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    assert run(["comment", "1"], ctx) == exits.ERROR
    assert "failed" in ctx.stderr_override.getvalue()
    draft = only_draft()
    assert draft.fields["body"] == "Текст, набранный перед сбоем."
    assert in_process("comment", "1", "--resume", draft.id).code == 0
    assert in_process("show", "1", "--json").json()["comments"][0]["body"] == "Текст, набранный перед сбоем."


@pytest.mark.parametrize("script", [': > "$1"\n', "exit 0\n"], ids=["emptied", "unchanged"])
def test_an_empty_or_unchanged_buffer_aborts_cleanly(tmp_path, monkeypatch, script):
    in_process(*ASK)
    editor(tmp_path, monkeypatch, script)
    ctx = _terminal_context()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert run(["comment", "1"], ctx) == exits.ERROR
    assert "Aborted" in ctx.stderr_override.getvalue()
    assert drafts.all_drafts() == []  # nothing typed, nothing kept
    assert list(drafts.folder().iterdir()) == []  # no editor buffer left behind


class Interrupting(io.StringIO):
    """stdin that answers some prompts, then behaves as if Ctrl-C was pressed."""

    def readline(self, *args):
        line = super().readline(*args)
        if not line:
            raise KeyboardInterrupt
        return line


@pytest.mark.parametrize("answered", [0, 1, 2, 3, 4])
def test_ctrl_c_at_any_prompt_exits_130_and_keeps_what_was_typed(monkeypatch, answered):
    answers = ["взломали страницу", "", "1", "Страницу взломали вчера"][:answered]
    ctx = _terminal_context()
    monkeypatch.setattr(sys, "stdin", Interrupting("".join(a + "\n" for a in answers)))
    assert run(["ask"], ctx) == exits.INTERRUPTED
    assert "Traceback" not in ctx.stderr_override.getvalue()
    kept = drafts.all_drafts()
    if answered == 0:
        assert kept == []
    else:
        assert kept[0].fields["problem"] == "взломали страницу"
        assert "--resume" in ctx.stderr_override.getvalue()
    if answered == 4:
        assert kept[0].fields["title"] == "Страницу взломали вчера"
    assert in_process("list", "--json").json() == []


def test_the_next_ask_in_a_terminal_offers_the_draft(monkeypatch):
    in_process("desk", "accepting", "off")
    in_process(*ASK)
    in_process("desk", "accepting", "on")
    ctx = _terminal_context()
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\ny\n"))  # resume it? send it?
    assert run(["ask", "--json"], ctx) == 0, ctx.stderr_override.getvalue()
    output = ctx.stdout_override.getvalue()
    created = json.loads(output[output.index("{\n") :])
    assert created["question"]["title"] == "Страницу взломали"
    assert drafts.all_drafts() == []


def test_drafts_list_show_discard():
    in_process("desk", "accepting", "off")
    in_process(*ASK)
    draft = only_draft()
    listed = in_process("drafts", "list", "--json").json()
    assert [d["id"] for d in listed] == [draft.id] and listed[0]["kind"] == "ask"
    shown = in_process("drafts", "show", draft.id)
    assert "Длинное объяснение" in shown.stdout and f"--resume {draft.id}" in shown.stdout
    assert in_process("drafts", "show", draft.id, "--json").json()["idempotency_key"] == draft.idempotency_key
    assert in_process("drafts", "discard", draft.id).code == 0
    assert in_process("drafts", "show", draft.id).code == exits.NOT_FOUND
    assert in_process("ask", "--resume", "latest").code == exits.NOT_FOUND


def test_a_resumed_draft_that_lacks_a_field_is_a_usage_error():
    draft = drafts.Draft(kind="ask", server="sandbox", fields={"title": "Без текста"})
    draft.save()
    outcome = in_process("ask", "--resume", draft.id)
    assert outcome.code == exits.USAGE and "--topic" in outcome.stderr
    assert only_draft().fields["title"] == "Без текста"


def test_a_damaged_draft_file_is_skipped_not_deleted():
    drafts.folder().mkdir(parents=True, exist_ok=True, mode=0o700)
    broken = drafts.folder() / "broken.json"
    broken.write_text("{not json")
    assert in_process("drafts", "list", "--json").json() == []
    assert broken.exists()
