"""The command line against the sandbox: the whole life of a question, exit codes, bad input."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from vksupport_cli.cli import exits
from vksupport_cli.cli.context import Context
from vksupport_cli.cli.main import run
from vksupport_cli.errors import NotSignedIn

from cli_support import in_process, subprocess_run

RUNNERS = {"cli-runner": in_process, "subprocess": subprocess_run}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ANSI = "\x1b["


pytestmark = pytest.mark.usefixtures("sandbox")


ASK = [
    "ask",
    "--topic",
    "hacked-page",
    "--title",
    "Взломали страницу",
    "--body",
    "Сменили пароль, пишут друзьям.",
]


@pytest.mark.parametrize("runner", RUNNERS.values(), ids=RUNNERS.keys())
def test_the_whole_life_of_a_question(runner):
    asked = runner(*ASK, "--json")
    assert asked.code == 0, asked.stderr
    qid = asked.json()["question"]["id"]
    assert asked.json()["question"]["status"] == "waiting"

    second = runner("ask", "--topic", "account", "--title", "Другое", "--body", "Другое.")
    assert second.code == exits.CONFLICT
    assert f"#{qid}" in second.stderr and f"vksupport delete {qid}" in second.stderr
    assert f"vksupport wait {qid}" in second.stderr

    listed = runner("list", "--json")
    assert [q["id"] for q in listed.json()] == [qid]

    assert runner("edit", str(qid), "--title", "Взломали мою страницу").code == 0
    assert runner("comment", str(qid), "--body", "Почту тоже сменили.").code == 0
    thread = runner("show", str(qid), "--json").json()
    assert thread["title"] == "Взломали мою страницу"
    assert [c["body"] for c in thread["comments"]] == ["Почту тоже сменили."]

    taken = runner("agent", "take", "--json")
    assert taken.json()["id"] == qid and taken.json()["status"] == "in_progress"
    refused = runner("edit", str(qid), "--title", "Поздно")
    assert refused.code == exits.CONFLICT and "taken" in refused.stderr

    assert runner("agent", "answer", str(qid), "--body", "Восстановите доступ.").code == 0
    waited = runner("wait", str(qid), "--timeout", "5", "--interval", "0.1", "--json")
    assert waited.code == 0 and waited.json()["status"] == "answered"

    again = runner(
        "ask", "--topic", "account", "--title", "Как сменить имя", "--body", "Не меняется.", "--json"
    )
    assert again.code == 0
    new_id = again.json()["question"]["id"]

    rated = runner("rate", str(qid), "good", "--comment", "Спасибо!", "--json")
    assert rated.code == 0 and rated.json()["status"] == "closed" and rated.json()["rating"] == "good"

    assert runner("delete", str(new_id), "--yes").code == 0
    gone = runner("show", str(new_id))
    assert gone.code == exits.NOT_FOUND and "no question" in gone.stderr


@pytest.mark.parametrize("runner", RUNNERS.values(), ids=RUNNERS.keys())
def test_ask_with_no_flags_and_no_terminal_is_a_usage_error_at_once(runner):
    outcome = runner("ask", timeout=15) if runner is subprocess_run else runner("ask")
    assert outcome.code == exits.USAGE
    assert "--topic" in outcome.stderr and "terminal" in outcome.stderr


# -- every exit code ----------------------------------------------------------


def test_exit_0_and_json_of_search():
    outcome = in_process("search-help", "взломали страницу", "--json")
    assert outcome.code == exits.OK
    hits = outcome.json()
    assert hits[0]["slug"] == "hacked-page"
    assert {"slug", "title", "category", "can_ask", "score"} <= set(hits[0])


def test_exit_1_when_the_editor_leaves_the_text_empty(monkeypatch, tmp_path):
    editor = tmp_path / "empty-editor"
    editor.write_text('#!/bin/sh\n: > "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    assert in_process(*ASK).code == 0
    ctx = _terminal_context()
    assert run(["comment", "1"], ctx) == exits.ERROR
    assert "empty" in ctx.stderr_override.getvalue()
    assert in_process("show", "1", "--json").json()["comments"] == []


@pytest.mark.parametrize(
    "args",
    [
        ["show", "abc"],
        ["show", "0"],
        ["show", "99999999999999999999"],
        ["list", "--status", "pending"],
        ["list", "--limit", "0"],
        ["nonsense"],
        ["rate", "1", "meh"],
        ["wait", "1", "--interval", "0"],
    ],
)
def test_exit_2_for_usage_errors(args):
    outcome = in_process(*args)
    assert outcome.code == exits.USAGE
    assert "Traceback" not in outcome.stderr


def test_exit_3_when_the_desk_rejects_the_token():
    class Rejecting:
        location = "test"

        def list_questions(self, **_):
            raise NotSignedIn("The desk does not accept this token.")

        def close(self):
            pass

    ctx = Context(stdout_override=io.StringIO(), stderr_override=io.StringIO(), _client=Rejecting())
    assert run(["list"], ctx) == exits.NOT_SIGNED_IN
    assert "vksupport auth login" in ctx.stderr_override.getvalue()
    assert ctx.stderr_override.getvalue().count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ["show", "42"],
        ["article", "no-such-article"],
        ["delete", "42", "--yes"],
        ["comment", "42", "--body", "x"],
    ],
)
def test_exit_4_for_what_does_not_exist(args):
    assert in_process(*args).code == exits.NOT_FOUND


def test_exit_5_for_conflicts():
    assert in_process(*ASK).code == 0
    assert in_process(*ASK).code == exits.CONFLICT
    in_process("agent", "take")
    assert in_process("delete", "1", "--yes").code == exits.CONFLICT


def test_exit_6_when_the_desk_is_not_accepting():
    assert in_process("desk", "accepting", "off").code == 0
    outcome = in_process(*ASK)
    assert outcome.code == exits.UNAVAILABLE
    assert "not accepting" in outcome.stderr
    assert in_process("list").code == 0  # everything else keeps working
    in_process("desk", "accepting", "on")
    assert in_process(*ASK).code == 0


def test_exit_7_when_wait_times_out():
    in_process(*ASK)
    outcome = in_process("wait", "1", "--timeout", "0.3", "--interval", "0.1")
    assert outcome.code == exits.TIMEOUT
    assert "still waiting" in outcome.stderr


# -- scripts and terminals -------------------------------------------------


@pytest.mark.parametrize(
    "command", [["list"], ["show", "1"], ["search-help", "пароль"], ["agent", "queue"], ["topics"]]
)
def test_no_colour_escapes_in_a_pipe(command):
    in_process(*ASK)
    outcome = subprocess_run(*command)
    assert outcome.code == 0 and outcome.stdout
    assert ANSI not in outcome.stdout and ANSI not in outcome.stderr


def test_json_everywhere_is_one_document():
    in_process(*ASK)
    for args in (
        ["list"],
        ["show", "1"],
        ["topics"],
        ["agent", "queue"],
        ["article", "hacked-page"],
        ["search-help", "пароль"],
    ):
        outcome = in_process(*args, "--json")
        assert outcome.code == 0, args
        json.loads(outcome.stdout)


def test_json_timestamps_are_utc_iso8601():
    question = in_process(*ASK, "--json").json()["question"]
    assert question["created_at"].endswith("Z")
    from datetime import datetime

    datetime.fromisoformat(question["created_at"].replace("Z", "+00:00"))


def test_body_from_stdin_and_files(tmp_path):
    outcome = in_process(
        "ask", "--topic", "account", "--title", "Т", "--body-file", "-", "--json", input="Текст из stdin\n"
    )
    assert outcome.json()["question"]["body"] == "Текст из stdin"
    note = tmp_path / "comment.txt"
    note.write_text("Из файла", encoding="utf-8")
    assert in_process("comment", "1", "--body-file", str(note)).code == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x01binary", "binary"),
        ("привет".encode("cp1251"), "UTF-8"),
        (None, "no file"),
        ("dir", "folder"),
    ],
)
def test_refused_body_files(tmp_path, content, message):
    path = tmp_path / "body.txt"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    outcome = in_process("ask", "--topic", "account", "--title", "T", "--body-file", str(path))
    assert outcome.code == exits.USAGE
    assert message in outcome.stderr
    assert in_process("list", "--json").json() == []


def test_attachments(tmp_path):
    shot = tmp_path / "screen.png"
    shot.write_bytes(PNG)
    outcome = in_process(*ASK, "--attach", str(shot), "--json")
    assert [a["filename"] for a in outcome.json()["question"]["attachments"]] == ["screen.png"]


@pytest.mark.parametrize("kind", ["missing", "folder", "exe"])
def test_refused_attachments(tmp_path, kind):
    path = tmp_path / "file.exe"
    if kind == "folder":
        path.mkdir()
    elif kind == "exe":
        path.write_bytes(b"MZ\x90\x00")
    outcome = in_process(*ASK, "--attach", str(path))
    assert outcome.code == exits.USAGE
    assert in_process("list", "--json").json() == []


def test_delete_in_a_pipe_needs_yes():
    in_process(*ASK)
    outcome = in_process("delete", "1")
    assert outcome.code == exits.USAGE and "--yes" in outcome.stderr
    assert in_process("show", "1").code == 0


def test_a_follow_up_says_it_reopened_the_question():
    in_process(*ASK)
    in_process("agent", "take")
    in_process("agent", "answer", "1", "--body", "Ответ.")
    outcome = in_process("comment", "1", "--body", "Не помогло.")
    assert "back in the queue" in outcome.stdout
    assert in_process("show", "1", "--json").json()["status"] == "waiting"


def test_repeated_question_is_pointed_out():
    in_process(*ASK)
    in_process("agent", "take")
    in_process("agent", "answer", "1", "--body", "Ответ.")
    outcome = in_process(*ASK)
    assert outcome.code == 0
    assert "repeats your earlier question #1" in outcome.stderr


def test_agent_take_on_an_empty_queue():
    outcome = in_process("agent", "take", "--json")
    assert outcome.code == 0 and outcome.json() is None
    assert "empty" in in_process("agent", "take").stderr


def test_version_answers_without_importing_typer():
    outcome = subprocess_run("--version")
    assert outcome.code == 0 and outcome.stdout.startswith("vksupport ")


def test_debug_shows_the_traceback_and_plain_mode_does_not():
    plain = subprocess_run("show", "42")
    assert "Traceback" not in plain.stderr and plain.stderr.count("\n") == 1
    debug = subprocess_run("--debug", "show", "42")
    assert "Traceback" in debug.stderr and debug.code == exits.NOT_FOUND


@pytest.mark.parametrize("server", ["ftp://desk.example", "http://desk.example", "not a url"])
def test_unusable_server_urls_are_refused_clearly(server):
    outcome = in_process("--server", server, "list")
    assert outcome.code == exits.USAGE and outcome.stderr.count("\n") == 1


# -- a person at a terminal -----------------------------------------------------


def _terminal_context(stdin_text: str = "") -> Context:
    ctx = Context(
        stdin_override=io.StringIO(stdin_text),
        stdout_override=io.StringIO(),
        stderr_override=io.StringIO(),
    )
    ctx.__dict__["interactive"] = True  # pretend a person is at both ends
    ctx.__dict__["stdout_is_terminal"] = False  # but keep rich from drawing escape codes
    return ctx


def test_interactive_ask_goes_through_the_help_flow(monkeypatch):
    answers = (
        "\n".join(
            [
                "взломали страницу",  # what happened
                "",  # no article: write to support
                "1",  # the first suggested topic
                "Страницу взломали вчера",  # summary
                "Пароль не подходит, друзьям пишут от моего имени.",  # description
                "",  # no link
                "",  # no attachment
                "y",  # send
            ]
        )
        + "\n"
    )
    ctx = _terminal_context()
    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
    assert run(["ask", "--json"], ctx) == 0, ctx.stderr_override.getvalue()
    output = ctx.stdout_override.getvalue()
    assert "These articles may already answer it" in output
    created = json.loads(output[output.index("{\n") :])
    assert created["question"]["topic"] == "hacked-page"
    assert created["question"]["title"] == "Страницу взломали вчера"


def test_interactive_ads_ask_offers_only_advertising_topics(monkeypatch):
    answers = ["реклама не проходит модерацию", "", "1", "Объявление отклонено", "Почему?", "", "y"]
    ctx = _terminal_context()
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(answers) + "\n"))
    assert run(["ask", "--ads", "--json"], ctx) == 0, ctx.stderr_override.getvalue()
    output = ctx.stdout_override.getvalue()
    menu = output[output.index("What is the question about?") : output.index("{\n")]
    offered = re.findall(r"^  \d+\. .*\((\S+)\)$", menu, re.MULTILINE)
    assert offered[0] == "ad-account-moderation"  # the suggested article first
    assert set(offered) == {
        "ad-account-moderation",
        "advertiser-support-form",
        "ad-payment-problems",
        "ads-business",
    }
    created = json.loads(output[output.index("{\n") :])
    assert (created["question"]["kind"], created["question"]["topic"]) == ("ads", "ad-account-moderation")


def test_interactive_ask_stops_when_an_article_solves_it(monkeypatch):
    ctx = _terminal_context()
    monkeypatch.setattr(sys, "stdin", io.StringIO("забыл пароль\n1\ny\n"))
    assert run(["ask"], ctx) == 0
    assert "Nothing was sent" in ctx.stderr_override.getvalue()
    assert in_process("list", "--json").json() == []


def test_completions_are_current():
    from vksupport_cli.cli.completion import SHELLS, script

    folder = Path(__file__).resolve().parent.parent / "completions"
    for shell, name in SHELLS.items():
        assert (folder / name).read_text() == script(shell), (
            f"completions/{name} is stale: run python -m vksupport_cli.cli.completion"
        )


@pytest.mark.parametrize(
    "fields, message",
    [
        (["--title", "   ", "--body", "текст"], "summary is empty"),
        (["--title", "Заголовок", "--body", " \n\t "], "description is empty"),
        (["--title", "я" * 201, "--body", "текст"], "limit is 200"),
        (["--title", "Заголовок", "--body", "ы" * 20_001], "limit is 20000"),
        (["--title", "Заголовок", "--body", "текст", "--link", "javascript:alert(1)"], "web address"),
    ],
)
def test_hostile_fields_are_refused_with_the_limit_named(fields, message):
    outcome = in_process("ask", "--topic", "account", *fields)
    assert outcome.code == exits.USAGE
    assert message in outcome.stderr and outcome.stderr.count("\n") <= 2
    assert in_process("list", "--json").json() == []


@pytest.mark.parametrize("bad_id", ["-1", "0", "18446744073709551616", "1e3", "abc", "'1 OR 1=1'"])
def test_impossible_question_ids_are_usage_errors(bad_id):
    for command in (
        ["show"],
        ["edit", "--title", "x"],
        ["comment", "--body", "x"],
        ["delete", "--yes"],
        ["wait"],
    ):
        outcome = in_process(command[0], bad_id, *command[1:])
        assert outcome.code == exits.USAGE, (command, bad_id, outcome.stderr)
