"""Issue 12 item 8: what a desk or another person wrote never drives the user's terminal.

A desk impostor on loopback sends titles, answers, article texts, names and
error messages holding ESC/OSC/CSI sequences, an 8-bit CSI (U+009B), BEL,
backspaces and bidi overrides. A real `vksupport` subprocess prints them: the
human output holds none of those characters, ``--json`` holds the exact text.
"""

from __future__ import annotations

import json

import pytest
from hostile_server import ImpostorDesk, json_reply

from vksupport_cli.desk.service import Desk

from cli_support import subprocess_run

CLEAR = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;pwned\x07"  # OSC 0: set the window title, ended by BEL
CSI8 = "\u009b31m"  # the 8-bit CSI: red from here on
BIDI = "\u202egpj.exe\u202c \u2066isolate\u2069 \u200f"
BACKSPACE = "rm\x08\x08ok"
HOSTILE = f"{CLEAR}Title{TITLE}{CSI8}{BIDI}{BACKSPACE}\x9d8;;http://evil\x9c\x7f"
FORBIDDEN = [
    "\x1b",
    "\x07",
    "\x08",
    "\x7f",
    "\u009b",
    "\u009c",
    "\u009d",
    "\u202e",
    "\u202c",
    "\u2066",
    "\u2069",
    "\u200f",
]


def clean(text: str) -> bool:
    return not any(char in text for char in FORBIDDEN)


@pytest.fixture
def question(db_path) -> dict:
    desk = Desk.open(db_path)
    user = desk.ensure_user("alice")
    data = desk.ask(user, topic="hacked-page", title="Т", body="Б").question.to_dict()
    desk.close()
    data.update(
        title=HOSTILE,
        body=f"line one\n{HOSTILE}\n\tindented",
        topic=HOSTILE,
        author=HOSTILE,
        agent=HOSTILE,
        status="answered",
        answered_at=data["created_at"],
        taken_at=data["created_at"],
        link="https://vk.com/" + HOSTILE,
    )
    data["comments"] = [
        {
            "id": 1,
            "question_id": data["id"],
            "author": HOSTILE,
            "role": "agent",
            "kind": "answer",
            "body": f"Answer {HOSTILE}",
            "created_at": data["created_at"],
        }
    ]
    data["attachments"] = [
        {
            "id": 1,
            "question_id": data["id"],
            "filename": f"shot{HOSTILE}.png",
            "content_type": f"image/png{HOSTILE}",
            "size": 10,
            "sha256": "0" * 64,
            "created_at": data["created_at"],
        }
    ]
    return data


@pytest.fixture
def impostor(question):
    qid = question["id"]
    summary = {k: v for k, v in question.items() if k not in ("comments", "attachments")}
    article = {
        "slug": "x",
        "category": HOSTILE,
        "title": HOSTILE,
        "title_en": "",
        "body": f"# Heading {HOSTILE}\n\nText {HOSTILE}",
        "tags": [],
        "can_ask": True,
    }
    hit = {
        "slug": HOSTILE,
        "title": HOSTILE,
        "title_en": "",
        "category": HOSTILE,
        "can_ask": True,
        "score": 1.0,
        "snippet": HOSTILE,
    }
    error = {"error": {"code": "conflict", "message": f"Refused {HOSTILE}", "details": {}}}
    routes = {
        ("GET", f"/api/v1/questions/{qid}"): json_reply(question),
        ("GET", "/api/v1/questions"): json_reply({"questions": [summary], "next_cursor": None}),
        ("GET", "/api/v1/help/articles/x"): json_reply(article),
        ("GET", "/api/v1/help/search"): json_reply([hit]),
        ("GET", "/api/v1/help/topics"): json_reply(
            [{"slug": HOSTILE, "title": HOSTILE, "category": HOSTILE, "kind": "category"}]
        ),
        ("POST", f"/api/v1/questions/{qid}/close"): json_reply(error, 409),
        ("GET", "/api/v1/me"): json_reply({"id": 1, "name": HOSTILE, "role": "user"}),
    }
    with ImpostorDesk(routes) as desk:
        yield desk


def run(desk, *args):
    return subprocess_run("--server", desk.url, *args, env={"VKSUPPORT_TOKEN": "vks_test"})


@pytest.mark.parametrize(
    "args",
    [
        ("show", "{id}"),
        ("list",),
        ("article", "x"),
        ("search-help", "anything"),
        ("topics",),
        ("close", "{id}"),
        ("auth", "status"),
    ],
    ids=lambda a: a[0] if a[0] != "auth" else "auth-status",
)
def test_human_output_and_errors_are_inert(impostor, question, args):
    outcome = run(impostor, *[a.format(id=question["id"]) for a in args])
    assert clean(outcome.stdout), repr(outcome.stdout)
    assert clean(outcome.stderr), repr(outcome.stderr)
    shown = outcome.stdout + outcome.stderr
    assert "Title" in shown or "Refused" in shown or "Heading" in shown or "Text" in shown
    assert "␛" in shown  # the ESC is still visible, as a picture, not acted on


def test_show_keeps_the_layout_of_a_multiline_body(impostor, question):
    outcome = run(impostor, "show", str(question["id"]))
    assert outcome.code == 0, outcome.stderr
    assert "line one\n" in outcome.stdout and "\tindented" in outcome.stdout.replace("        ", "\t")


@pytest.mark.parametrize("args", [("show", "{id}", "--json"), ("list", "--json"), ("article", "x", "--json")])
def test_json_keeps_the_exact_text(impostor, question, args):
    outcome = run(impostor, *[a.format(id=question["id"]) for a in args])
    assert outcome.code == 0, outcome.stderr
    data = json.loads(outcome.stdout)
    record = data[0] if isinstance(data, list) else data
    assert record["title"] == HOSTILE  # exact, escaped as JSON (the raw ESC is never on stdout)
    assert "\x1b" not in outcome.stdout


def test_inert_keeps_text_and_layout():
    from vksupport_cli.cli.render import inert

    assert inert("Привет, мир\n\tдва") == "Привет, мир\n\tдва"
    assert inert("a\nb\tc", line=True) == "a b c"
    assert inert("\x1b[2J") == "␛[2J"
    assert clean(inert(HOSTILE))
