"""The command line as a newcomer meets it (issue 15): drafts that help, settings, scripts, files back.

Prompts and Ctrl-C run in a real pseudo-terminal (tests/pty_support.py); the rest through
CliRunner or real subprocesses, against the sandbox or a real server on loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pty_support import Terminal

from vksupport_cli import drafts, paths
from vksupport_cli.cli import exits
from vksupport_cli.desk.service import Desk

from cli_support import in_process, subprocess_run
from server_support import DeskServer

pytestmark = pytest.mark.usefixtures("sandbox")

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
ASK = ["ask", "--topic", "hacked-page", "--title", "Взломали страницу", "--body", "Сменили пароль."]


# -- 1. drafts only where a resend can succeed -------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["--link", "ftp://vk.com/id1"],
        ["--topic", "no-such-topic"],
        ["--title", "я" * 300],
    ],
    ids=["bad-link", "unknown-topic", "long-summary"],
)
def test_a_refused_question_from_options_leaves_no_draft(extra):
    outcome = subprocess_run(*ASK, *extra)
    assert outcome.code == exits.USAGE
    assert "--resume" not in outcome.stderr and "draft" not in outcome.stderr
    assert drafts.all_drafts() == []


def test_a_conflict_leaves_no_draft_but_a_desk_that_is_down_does():
    assert in_process(*ASK).code == 0
    again = subprocess_run("ask", "--topic", "account", "--title", "Другое", "--body", "Ещё вопрос.")
    assert again.code == exits.CONFLICT and "draft" not in again.stderr
    assert drafts.all_drafts() == []
    in_process("desk", "accepting", "off")
    in_process("delete", "1", "--yes")
    refused = subprocess_run(*ASK)
    assert refused.code == exits.UNAVAILABLE and "--resume" in refused.stderr
    assert len(drafts.all_drafts()) == 1


def test_a_refused_comment_on_a_missing_question_leaves_no_draft():
    outcome = subprocess_run("comment", "42", "--body", "Подробности.")
    assert outcome.code == exits.NOT_FOUND and "draft" not in outcome.stderr
    assert drafts.all_drafts() == []


def test_typed_text_refused_by_the_desk_is_kept_with_what_to_change(tmp_path):
    """A comment written in the editor on a question that does not exist: kept, and the fix named."""
    editor = tmp_path / "editor"
    editor.write_text('#!/bin/sh\nprintf "Длинный текст, который жалко.\\n" > "$1"\n')
    editor.chmod(0o755)
    with Terminal("comment", "42", env={"EDITOR": str(editor), "VISUAL": ""}) as term:
        code = term.wait()
    assert code == exits.NOT_FOUND
    kept = drafts.all_drafts()
    assert len(kept) == 1 and kept[0].fields["body"] == "Длинный текст, который жалко."
    assert "change what was refused" in term.text
    assert f"vksupport comment 42 --resume {kept[0].id}" in term.text


def test_drafts_discard_all_and_older_than():
    in_process("desk", "accepting", "off")
    for _ in range(3):
        in_process(*ASK)
    assert len(drafts.all_drafts()) == 3
    oldest = drafts.all_drafts()[-1]
    data = json.loads(oldest.path.read_text())
    data["updated_at"] = "2020-01-01T00:00:00.000Z"  # saved long ago
    oldest.path.write_text(json.dumps(data))
    outcome = in_process("drafts", "discard", "--older-than", "7d")
    assert outcome.code == 0, outcome.stderr
    assert len(drafts.all_drafts()) == 2 and oldest.id not in {d.id for d in drafts.all_drafts()}
    assert in_process("drafts", "discard", "--older-than", "seven").code == exits.USAGE
    assert in_process("drafts", "discard").code == exits.USAGE
    assert in_process("drafts", "discard", "--all").code == 0
    assert drafts.all_drafts() == []


# -- 7. settings, and which desk is in use --------------------------------------------


def test_config_set_get_list_and_back_to_the_sandbox():
    assert in_process("config", "get", "server").stdout == "sandbox\n"
    assert in_process("config", "set", "server", "http://127.0.0.1:9").code == 0
    assert in_process("config", "get", "server").stdout == "http://127.0.0.1:9\n"
    status = in_process("auth", "status")
    assert status.code == exits.NOT_SIGNED_IN
    assert "config set server sandbox" in status.stderr
    assert in_process("config", "set", "server", "sandbox").code == 0
    status = in_process("auth", "status", "--json")
    assert status.code == 0 and status.json()["server"] == "sandbox"
    assert status.json()["server_source"] == "config"
    listed = in_process("config", "list", "--json").json()
    assert {row["key"]: row["value"] for row in listed} == {
        "server": "sandbox",
        "pager": "",
        "color": "auto",
    }
    assert in_process("config", "unset", "server").code == 0
    assert in_process("auth", "status", "--json").json()["server_source"] == "default"


@pytest.mark.parametrize(
    "key, value",
    [
        ("server", "ftp://desk.example"),
        ("server", "http://desk.example"),
        ("color", "purple"),
        ("pager", ""),
        ("pager", "'unclosed"),
        ("editor", "vim"),
    ],
)
def test_config_refuses_bad_values_in_one_sentence(key, value):
    outcome = in_process("config", "set", key, value)
    assert outcome.code == exits.USAGE
    assert outcome.stderr.count("\n") == 1, outcome.stderr
    assert not paths.config_file().exists()


def test_auth_status_says_why_this_desk(monkeypatch):
    assert "default" in in_process("auth", "status").stdout
    flagged = in_process("--server", "http://127.0.0.1:9", "auth", "status", "--json")
    assert "--server option" in flagged.stderr
    monkeypatch.setenv("VKSUPPORT_SERVER", "http://127.0.0.1:9")
    assert "VKSUPPORT_SERVER environment variable" in in_process("auth", "status").stderr


def test_color_never_in_config_wins_over_a_terminal():
    in_process(*ASK)
    in_process("config", "set", "color", "never")
    with Terminal("list") as term:
        assert term.wait() == 0
    assert "\x1b[3" not in term.raw.decode() and "Взломали" in term.text


# -- 8. scripts keep the final state ---------------------------------------------------


@pytest.mark.parametrize("runner", [in_process, subprocess_run], ids=["cli-runner", "subprocess"])
def test_wait_timeout_prints_the_last_state_as_json(runner):
    in_process(*ASK)
    outcome = runner("wait", "1", "--timeout", "0", "--json")
    assert outcome.code == exits.TIMEOUT
    assert outcome.json()["status"] == "waiting" and outcome.json()["id"] == 1
    assert "still waiting" in outcome.stderr


def test_field_prints_one_value_for_scripts():
    in_process(*ASK)
    assert in_process("show", "1", "--field", "status").stdout == "waiting\n"
    assert in_process("wait", "1", "--timeout", "0", "--field", "status").stdout == "waiting\n"
    assert in_process("list", "--field", "id").stdout == "1\n"
    assert in_process("show", "1", "--field", "link").stdout == "\n"
    missing = in_process("show", "1", "--field", "colour")
    assert missing.code == exits.USAGE and "status" in missing.stderr
    in_process("agent", "take")
    in_process("agent", "answer", "1", "--body", "Ответ.")
    assert in_process("show", "1", "--field", "comments.0.body").stdout == "Ответ.\n"


# -- 9. attachments both ways ------------------------------------------------------------


def test_attachment_download_in_the_sandbox(tmp_path, monkeypatch):
    picture = tmp_path / "screen.png"
    picture.write_bytes(PNG)
    assert in_process(*ASK, "--attach", str(picture)).code == 0
    shown = in_process("show", "1").stdout
    assert "id 1: screen.png" in shown and "vksupport attachment download 1" in shown

    monkeypatch.chdir(tmp_path / "..")
    work = tmp_path / "out"
    work.mkdir()
    monkeypatch.chdir(work)
    got = subprocess_run("attachment", "download", "1", "1")
    assert got.code == 0, got.stderr
    assert (work / "screen.png").read_bytes() == PNG
    again = subprocess_run("attachment", "download", "1", "1")
    assert again.code == exits.USAGE and "--force" in again.stderr
    (work / "screen.png").write_bytes(b"mine")
    assert subprocess_run("attachment", "download", "1", "1", "-o", "screen.png").code == exits.USAGE
    assert (work / "screen.png").read_bytes() == b"mine"  # never overwritten without --force
    assert subprocess_run("attachment", "download", "1", "1", "-o", "screen.png", "--force").code == 0
    assert (work / "screen.png").read_bytes() == PNG
    assert subprocess_run("attachment", "download", "1", "7").code == exits.NOT_FOUND
    assert [p.name for p in work.iterdir()] == ["screen.png"]  # no partial file left behind


def test_comment_attach_and_download_over_http(tmp_path, _template_db):
    db = tmp_path / "desk.sqlite3"
    shutil.copy(_template_db, db)
    operator = Desk.open(db)
    _, token = operator.add_user("alice")
    operator.close()
    picture = tmp_path / "proof.png"
    picture.write_bytes(PNG)
    with DeskServer(db) as server:
        env = {"VKSUPPORT_SERVER": server.url, "VKSUPPORT_TOKEN": token}
        assert subprocess_run(*ASK, env=env).code == 0
        added = subprocess_run("comment", "1", "--body", "Скриншот.", "--attach", str(picture), env=env)
        assert added.code == 0, added.stderr
        meta = subprocess_run("show", "1", "--json", env=env).json()["attachments"]
        assert [a["filename"] for a in meta] == ["proof.png"]
        target = tmp_path / "copy.png"
        got = subprocess_run("attachment", "download", "1", str(meta[0]["id"]), "-o", str(target), env=env)
        assert got.code == 0, got.stderr
        assert target.read_bytes() == PNG
        to_stdout = subprocess.run(
            [
                sys.executable,
                "-m",
                "vksupport_cli",
                "attachment",
                "download",
                "1",
                str(meta[0]["id"]),
                "-o",
                "-",
            ],
            env={**os.environ, **env},
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        assert to_stdout.returncode == 0 and to_stdout.stdout == PNG
        only = subprocess_run("comment", "1", "--attach", str(picture), env=env)
        assert only.code == 0, only.stderr
        assert len(subprocess_run("show", "1", "--json", env=env).json()["attachments"]) == 2


# -- 10. small things --------------------------------------------------------------------------


def test_a_question_id_that_is_not_a_number_is_named_so():
    outcome = in_process("show", "abc")
    assert outcome.code == exits.USAGE
    assert "A question id is a positive number" in outcome.stderr
    assert "integer range" not in outcome.stderr


def test_declining_delete_is_not_an_error():
    in_process(*ASK)
    with Terminal("delete", "1") as term:
        term.expect("for good?")
        term.line("n")
        code = term.wait()
    assert code == exits.ERROR
    assert "Nothing was deleted." in term.text and "Error:" not in term.text
    assert in_process("list", "--json").json()[0]["id"] == 1


def test_ctrl_c_in_wait_says_waiting_stopped():
    in_process(*ASK)
    with Terminal("wait", "1", "--interval", "1") as term:
        # "Waiting for an answer to #1…", or the first report over it ("#1: waiting for …")
        # when that comes before the spinner's first frame.
        term.expect("#1")
        term.interrupt()
        code = term.wait()
    assert code == exits.INTERRUPTED
    assert "Stopped waiting" in term.text and "nothing more was sent" not in term.text


def test_a_question_prompt_ends_in_a_question_mark_alone():
    with Terminal("ask") as term:
        screen = term.expect("what happened?")
        term.interrupt()
        term.wait()
    assert "?:" not in screen


def test_an_agents_list_names_the_authors(tmp_path, _template_db):
    db = tmp_path / "desk.sqlite3"
    shutil.copy(_template_db, db)
    operator = Desk.open(db)
    _, alice = operator.add_user("alice")
    _, bob = operator.add_user("bob")
    _, smith = operator.add_user("smith", "agent")
    operator.close()
    with DeskServer(db) as server:
        for token in (alice, bob):
            assert (
                subprocess_run(*ASK, env={"VKSUPPORT_SERVER": server.url, "VKSUPPORT_TOKEN": token}).code == 0
            )
        listed = subprocess_run("list", env={"VKSUPPORT_SERVER": server.url, "VKSUPPORT_TOKEN": smith})
        own = subprocess_run("list", env={"VKSUPPORT_SERVER": server.url, "VKSUPPORT_TOKEN": alice})
    assert listed.code == 0, listed.stderr
    assert "Author" in listed.stdout and "alice" in listed.stdout and "bob" in listed.stdout
    assert "Author" not in own.stdout  # a person's own list: every question is theirs


def test_search_table_keeps_the_ask_remark_out_of_the_title():
    outcome = subprocess_run("search-help", "взломали страницу")
    assert outcome.code == 0
    assert "(you can ask support)" not in outcome.stdout
    assert "you can ask" in outcome.stdout


def test_an_article_in_a_pipe_has_no_trailing_spaces():
    outcome = subprocess_run("article", "hacked-page")
    assert outcome.code == 0 and outcome.stdout.strip()
    assert all(line == line.rstrip() for line in outcome.stdout.splitlines())


def test_a_damaged_sandbox_file_is_named_with_what_to_do():
    path = paths.sandbox_db()
    for name in os.listdir(path.parent):
        if name.startswith(path.name + "-"):
            os.unlink(path.parent / name)
    path.write_bytes(b"this is not a database at all, just text " * 200)
    outcome = subprocess_run("list")
    assert outcome.code == exits.ERROR
    assert str(path) in outcome.stderr and "mv " in outcome.stderr
    assert "Unexpected" not in outcome.stderr and outcome.stderr.count("\n") == 1


def test_an_unusable_data_folder_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    outcome = subprocess_run("list", env={"VKSUPPORT_HOME": str(blocker / "home")})
    assert outcome.code == exits.ERROR
    assert "Unexpected" not in outcome.stderr and "VKSUPPORT_HOME" in outcome.stderr


def test_a_rejected_token_at_login_does_not_say_to_log_in(tmp_path, _template_db):
    db = tmp_path / "desk.sqlite3"
    shutil.copy(_template_db, db)
    with DeskServer(db) as server:
        outcome = subprocess_run(
            "auth",
            "login",
            "--server",
            server.url,
            "--with-token",
            input="not-a-real-token\n",
            env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        )
    assert outcome.code == exits.NOT_SIGNED_IN
    assert "auth login" not in outcome.stderr and "whole token" in outcome.stderr


def test_the_no_keyring_refusal_names_the_server_variable_too(tmp_path, _template_db):
    db = tmp_path / "desk.sqlite3"
    shutil.copy(_template_db, db)
    operator = Desk.open(db)
    _, token = operator.add_user("alice")
    operator.close()
    with DeskServer(db) as server:
        outcome = subprocess_run(
            "auth",
            "login",
            "--server",
            server.url,
            "--with-token",
            input=token + "\n",
            env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        )
    assert outcome.code == exits.ERROR
    assert "VKSUPPORT_SERVER" in outcome.stderr and "--server" in outcome.stderr


# -- 3. global options anywhere ----------------------------------------------------------------


@pytest.mark.parametrize("runner", [in_process, subprocess_run], ids=["cli-runner", "subprocess"])
def test_global_options_work_after_the_command(runner):
    in_process(*ASK)
    debug = runner("show", "9", "--debug")
    assert debug.code == exits.NOT_FOUND and "Traceback" in debug.stderr
    plain = runner("list", "--no-color")
    assert plain.code == 0 and "Взломали" in plain.stdout
    served = runner("list", "--json", "--server", "ftp://desk.example")
    assert served.code == exits.USAGE and "not a desk URL" in served.stderr
    assert runner("show", "1", "--server", "sandbox", "--json").json()["id"] == 1
    assert runner("--json", "show", "1").json()["id"] == 1
    assert runner("--json", "list").json()[0]["id"] == 1


def test_global_options_after_the_command_in_a_terminal_turn_colours_off():
    in_process(*ASK)
    with Terminal("list", "--no-color") as term:
        assert term.wait() == 0
    assert "\x1b[3" not in term.raw.decode() and "Взломали" in term.text


# -- 4. completion of values ----------------------------------------------------------------------


def complete(words: str, env: dict | None = None) -> list[str]:
    """What bash completion offers for the command line ``words`` (ending in a space: a new word)."""
    parts = words.split()
    cword = len(parts) if words.endswith(" ") else len(parts) - 1
    outcome = subprocess_run(
        env={
            "COMP_WORDS": words,
            "COMP_CWORD": str(cword),
            "_VKSUPPORT_COMPLETE": "complete_bash",
            **(env or {}),
        }
    )
    assert outcome.code == 0 and outcome.stderr == "", outcome.stderr
    return [line for line in outcome.stdout.splitlines() if line]


def test_completion_of_values():
    in_process(*ASK)
    assert complete("vksupport ask --topic hacked") == ["hacked-page"]
    assert "confirmation-code-not-arriving" in complete("vksupport article confirmation")
    assert complete("vksupport list --status a") == ["all", "answered"]
    assert complete("vksupport rate 1 ") == ["good", "bad"]
    for command in ("show", "edit", "comment", "delete", "rate", "close", "wait"):
        assert complete(f"vksupport {command} ") == ["1"], command
    assert complete("vksupport config get s") == ["server"]


def test_completion_is_silent_when_the_desk_is_away():
    down = {"VKSUPPORT_SERVER": "http://127.0.0.1:9", "VKSUPPORT_TOKEN": "x"}
    assert complete("vksupport show ", down) == []
    assert complete("vksupport ask --topic ", down) == []
    broken = subprocess_run(
        env={
            "COMP_WORDS": "vksupport --debug show ",
            "COMP_CWORD": "3",
            "_VKSUPPORT_COMPLETE": "complete_bash",
            **down,
        }
    )
    assert (
        broken.code == 0 and broken.stdout.strip() == "" and "Traceback" in broken.stderr
    )  # --debug: the details


def test_completion_never_creates_a_sandbox():
    paths.sandbox_db().unlink()
    assert complete("vksupport show ") == []
    assert not paths.sandbox_db().exists()


# -- faster start: the fast path answers exactly as Typer does -----------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--json"],
        ["list", "--status", "open", "--limit", "5", "--json"],
        ["list", "--json", "-n", "1", "--debug"],
        ["show", "1", "--json"],
        ["show", "42", "--json"],
        ["show", "abc", "--json"],
        ["show", "0", "--json"],
        ["list", "--status", "bogus", "--json"],
        ["list", "--limit", "5000", "--json"],
        ["search-help", "взломали страницу", "--json", "--limit", "3"],
        ["search-help", "пароль", "-c", "security", "--json"],
        ["--server", "ftp://desk.example", "list", "--json"],
        ["list", "--json", "--server", "not a url"],
        ["list", "--json", "--nonsense"],
    ],
)
def test_the_fast_path_answers_as_typer_does(args):
    in_process(*ASK)
    fast = subprocess_run(*args)
    typer_path = subprocess_run(*args, env={"VKSUPPORT_FAST_PATH": "0"})
    assert (fast.code, fast.stdout, fast.stderr) == (typer_path.code, typer_path.stdout, typer_path.stderr)


def test_the_fast_path_answers_as_typer_does_over_http(tmp_path, _template_db):
    db = tmp_path / "desk.sqlite3"
    shutil.copy(_template_db, db)
    operator = Desk.open(db)
    _, token = operator.add_user("alice")
    operator.close()
    with DeskServer(db) as server:
        env = {"VKSUPPORT_SERVER": server.url, "VKSUPPORT_TOKEN": token}
        assert subprocess_run(*ASK, env=env).code == 0
        for args in (["show", "1", "--json"], ["list", "--json"], ["show", "2", "--json"]):
            fast = subprocess_run(*args, env=env)
            slow = subprocess_run(*args, env={**env, "VKSUPPORT_FAST_PATH": "0"})
            assert (fast.code, fast.stdout, fast.stderr) == (slow.code, slow.stdout, slow.stderr)


# -- 2. each answer checked when it is typed ------------------------------------------------------


def test_the_interactive_ask_checks_each_answer_and_previews_the_question(tmp_path):
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ" + bytes(100))
    picture = tmp_path / "screen.png"
    picture.write_bytes(PNG)
    with Terminal("ask", env={"VKSUPPORT_PAGER": "cat", "PAGER": "cat"}, rows=200) as term:
        term.expect("what happened?")
        term.line("взломали страницу")
        term.expect("Open an article by number")
        term.line("1")
        term.expect("Did this article solve your problem?")
        term.line("n")
        term.expect("These articles may already answer it")  # the list again, to pick another
        term.expect("Open an article by number")
        term.line("")
        term.expect("Topic number or slug")
        term.line("1")
        term.expect("Summary (one line)")
        term.line("я" * 300)
        term.expect("the limit is 200")
        term.line("Страницу взломали вчера")
        term.expect("Describe the problem")
        term.line("Пароль сменили, пишут друзьям.")
        term.expect("Link to the page concerned")
        term.line("ftp://vk.com/id1")
        term.expect("must be a web address")
        term.line("https://vk.com/id1")
        term.expect("Attach a file")
        term.line(str(program))
        term.expect("is not a PNG")
        term.line(str(picture))
        term.expect("screen.png")
        term.line("")
        screen = term.expect("Send this question to support?")
        term.line("y")
        code = term.wait()
    assert code == 0, term.text[-2000:]
    preview = screen[screen.rindex("Your question") :]
    assert "Страницу взломали вчера" in preview and "https://vk.com/id1" in preview
    assert "Пароль сменили" in preview and "screen.png" in preview
    question = in_process("show", "1", "--json").json()
    assert question["link"] == "https://vk.com/id1"
    assert [a["filename"] for a in question["attachments"]] == ["screen.png"]
    assert drafts.all_drafts() == []


# -- 6. the operator's server speaks ----------------------------------------------------------------


def _serve(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "vksupport_cli", "desk", "serve", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_desk_serve_says_where_it_serves_logs_requests_and_stops_cleanly(tmp_path, _template_db):
    import signal

    import httpx

    db = tmp_path / "desk.sqlite3"
    shutil.copy(_template_db, db)
    server = _serve("--db", str(db), "--port", "0", "--access-log")
    try:
        first = server.stderr.readline()
        assert first.startswith("Serving the desk on http://127.0.0.1:"), first
        assert str(db) in first and "Ctrl-C" in first
        url = first.split(" on ", 1)[1].split(" ", 1)[0]
        for _ in range(200):  # until uvicorn listens
            try:
                assert httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200
                break
            except httpx.TransportError:
                import time

                time.sleep(0.05)
        busy = subprocess_run("desk", "serve", "--db", str(db), "--port", url.rsplit(":", 1)[1])
        assert busy.code == exits.UNAVAILABLE
        assert "already in use" in busy.stderr and busy.stderr.count("\n") == 1
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0
    assert "GET /api/v1/health" in out  # the access log
    assert f"Stopped serving {url}." in err and "Traceback" not in err


@pytest.mark.parametrize(
    "db, words",
    [
        # a postgresql:// URL is a desk database (test_postgres.py); any other scheme is refused
        ("mysql://desk:secret@db.example/desk", "postgresql:// URL"),
        ("/dev/null/desk.sqlite3", "Cannot open the database"),
        ("DAMAGED", "is damaged"),
        ("FOLDER", "is a folder"),
    ],
)
def test_desk_serve_refuses_a_database_it_cannot_use_in_one_sentence(tmp_path, db, words):
    if db == "DAMAGED":
        db = str(tmp_path / "damaged.sqlite3")
        Path(db).write_bytes(b"not a database, only words " * 300)
    elif db == "FOLDER":
        db = str(tmp_path)
    outcome = subprocess_run("desk", "serve", "--db", db, "--port", "0")
    assert outcome.code in (exits.USAGE, exits.ERROR)
    assert words in outcome.stderr and outcome.stderr.count("\n") == 1, outcome.stderr
    assert "secret" not in outcome.stderr and "Traceback" not in outcome.stderr


# -- 5. help and the pager -----------------------------------------------------------------------------


def test_every_command_has_examples_and_the_command_list_is_not_cut():
    top = subprocess_run("--help")
    commands = top.stdout[top.stdout.index("Commands:") :]
    assert "..." not in commands and "…" not in commands
    assert "wrong keyboard layout and English all work" in " ".join(top.stdout.split())
    for command in (["show"], ["ask"], ["wait"], ["auth", "login"], ["desk", "serve"], ["config", "set"]):
        shown = subprocess_run(*command, "--help")
        assert shown.code == 0 and "Examples:" in shown.stdout, command
        assert f"$ vksupport {' '.join(command)}" in shown.stdout
    assert "--body-file FILE" in subprocess_run("ask", "--help").stdout
    assert "--attach FILE" in subprocess_run("comment", "--help").stdout
    assert "show [OPTIONS] ID" in subprocess_run("show", "--help").stdout


def test_long_articles_go_through_the_pager_in_a_terminal_only(tmp_path):
    paged = tmp_path / "paged.txt"
    pager = f"sh -c 'cat > {paged}'"
    with Terminal("article", "hacked-page", env={"VKSUPPORT_PAGER": pager}, rows=10) as term:
        assert term.wait() == 0
    assert "hacked-page" in paged.read_text()  # the pager got the article
    paged.unlink()
    with Terminal("article", "hacked-page", "--no-pager", env={"VKSUPPORT_PAGER": pager}, rows=10) as term:
        assert term.wait() == 0
    assert not paged.exists() and "hacked-page" in term.text
    in_process("config", "set", "pager", "off")
    with Terminal("article", "hacked-page", env={"PAGER": pager}, rows=10) as term:
        assert term.wait() == 0
    assert not paged.exists()
    piped = subprocess_run("article", "hacked-page", env={"VKSUPPORT_PAGER": pager, "PAGER": pager})
    assert piped.code == 0 and "hacked-page" in piped.stdout and not paged.exists()
