"""Signing in without an OS keyring: the refusal, plain-file storage, the environment, no leaks."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vksupport_cli.cli import exits
from vksupport_cli.desk.service import Desk

from cli_support import subprocess_run
from server_support import DeskServer

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


@pytest.fixture(scope="module")
def desk(tmp_path_factory, _template_db):
    db = tmp_path_factory.mktemp("auth-desk") / "desk.sqlite3"
    shutil.copy(_template_db, db)
    operator = Desk.open(db)
    tokens = {name: operator.add_user(name)[1] for name in ("alice", "bob")}
    operator.close()
    with DeskServer(db) as server:
        yield server, tokens, db


def home() -> Path:
    return Path(os.environ["VKSUPPORT_HOME"])


def run(*args, input=None, **env):
    return subprocess_run(*args, input=input, env={**NO_KEYRING, **env})


def test_no_keyring_refuses_and_names_both_ways_out(desk):
    server, tokens, _ = desk
    outcome = run("auth", "login", "--server", server.url, "--with-token", input=tokens["alice"])
    assert outcome.code == exits.ERROR
    assert "VKSUPPORT_TOKEN" in outcome.stderr and "--insecure-storage" in outcome.stderr
    assert outcome.stderr.count("\n") == 1
    assert not (home() / "config" / "credentials.json").exists()


def test_insecure_storage_writes_a_0600_file_and_says_so(desk):
    server, tokens, _ = desk
    outcome = run(
        "auth", "login", "--server", server.url, "--with-token", "--insecure-storage", input=tokens["alice"]
    )
    assert outcome.code == 0, outcome.stderr
    path = home() / "config" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "plain text" in outcome.stderr and str(path) in outcome.stderr
    status = run("auth", "status", "--json")
    assert (status.json()["source"], status.json()["user"]) == ("file", "alice")
    assert run("auth", "logout").code == 0
    assert not path.exists()
    assert run("list").code == exits.NOT_SIGNED_IN


def test_the_environment_token_wins(desk):
    server, tokens, _ = desk
    run("auth", "login", "--server", server.url, "--with-token", "--insecure-storage", input=tokens["alice"])
    status = run("auth", "status", "--json", VKSUPPORT_TOKEN=tokens["bob"])
    assert (status.json()["user"], status.json()["source"], status.json()["where"]) == (
        "bob",
        "environment",
        "VKSUPPORT_TOKEN",
    )


def test_a_token_the_desk_rejects_is_not_stored(desk):
    server, _, _ = desk
    outcome = run(
        "auth", "login", "--server", server.url, "--with-token", "--insecure-storage", input="vks_forged"
    )
    assert outcome.code == exits.NOT_SIGNED_IN
    assert not (home() / "config" / "credentials.json").exists()


@pytest.mark.parametrize(
    "args, input, code",
    [
        (
            ["auth", "login", "--server", "http://127.0.0.1:9"],
            None,
            exits.USAGE,
        ),  # no terminal, no --with-token
        (["auth", "login", "--server", "http://127.0.0.1:9", "--with-token"], "", exits.USAGE),  # empty stdin
        (["auth", "login"], "x", exits.USAGE),  # the sandbox needs no sign-in
        (
            ["auth", "login", "--server", "http://desk.example", "--with-token"],
            "x",
            exits.USAGE,
        ),  # plain http
        (
            ["auth", "login", "--server", "http://127.0.0.1:9", "--with-token"],
            "x",
            exits.UNAVAILABLE,
        ),  # nobody there
    ],
)
def test_login_refusals(args, input, code):
    assert run(*args, input=input).code == code


def test_status_in_the_sandbox():
    outcome = run("auth", "status")
    assert outcome.code == 0 and "sandbox" in outcome.stdout


def test_the_token_leaks_nowhere(desk, tmp_path):
    """A whole cycle, --debug included: the token is only ever in the opted-in file."""
    server, tokens, db = desk
    token = tokens["alice"]
    outputs = []

    def step(*args, input=None):
        outcome = run("--debug", *args, input=input)
        outputs.append(outcome.stdout + outcome.stderr)
        return outcome

    step("auth", "login", "--server", server.url, "--with-token", "--insecure-storage", input=token)
    asked = step("ask", "--topic", "account", "--title", "Утечка?", "--body", "Проверка.", "--json")
    qid = str(asked.json()["question"]["id"])
    step("show", qid)
    step("show", "999999")  # an error, with its traceback under --debug
    step("comment", qid, "--body", "ещё")
    step("auth", "status")
    # While a command runs, the token is on no process's argv.
    waiting = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vksupport_cli",
            "--debug",
            "wait",
            qid,
            "--timeout",
            "3",
            "--interval",
            "0.2",
        ],
        env={**os.environ, **NO_KEYRING},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    argv = Path(f"/proc/{waiting.pid}/cmdline").read_bytes()
    out, err = waiting.communicate(timeout=30)
    outputs.append(out + err)
    assert token.encode() not in argv
    credentials_file = home() / "config" / "credentials.json"
    assert token in credentials_file.read_text()  # the one place the user opted into
    step("auth", "logout")

    for text in outputs:
        assert token not in text
    for path in home().rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    for part in db.parent.glob(db.name + "*"):  # the database and its WAL: the desk keeps a hash
        assert token.encode() not in part.read_bytes(), part
