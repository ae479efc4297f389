"""Credentials against a real Secret Service (gnome-keyring over D-Bus), checked with keyring's own API."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from vksupport_cli.cli import exits
from vksupport_cli.desk.service import Desk

from cli_support import subprocess_run
from keyring_support import SecretService, require_secret_service
from server_support import DeskServer


@pytest.fixture(scope="module")
def desk_db(tmp_path_factory, _template_db):
    path = tmp_path_factory.mktemp("keyring-desk") / "desk.sqlite3"
    shutil.copy(_template_db, path)
    return path


@pytest.fixture(scope="module")
def servers(desk_db, tmp_path_factory):
    """Two desks (two URLs) over copies of one database, each with its own account."""
    second_db = tmp_path_factory.mktemp("keyring-desk-2") / "desk.sqlite3"
    shutil.copy(desk_db, second_db)
    tokens = []
    for db, name in ((desk_db, "alice"), (second_db, "bob")):
        desk = Desk.open(db)
        tokens.append(desk.add_user(name)[1])
        desk.close()
    with DeskServer(desk_db) as first, DeskServer(second_db) as second:
        yield [(first.url, tokens[0], "alice"), (second.url, tokens[1], "bob")]


@pytest.fixture
def secret_service(tmp_path):
    require_secret_service()
    with SecretService(tmp_path / "keyring") as service:
        yield service


def cli(service, *args, input=None):
    env = {**service.env, "VKSUPPORT_HOME": os.environ["VKSUPPORT_HOME"]}
    return subprocess_run(*args, input=input, env=env)


def stored(service, url):
    return service.keyring(f"print(keyring.get_password('vksupport', {url!r}))")


def test_keyring_picks_the_secret_service(secret_service):
    assert (
        secret_service.keyring("print(type(keyring.get_keyring()).__module__)")
        == "keyring.backends.SecretService"
    )


def test_login_stores_status_reads_logout_removes(secret_service, servers):
    url, token, name = servers[0]
    login = cli(secret_service, "auth", "login", "--server", url, "--with-token", input=token + "\n")
    assert login.code == 0, login.stderr
    assert "OS keyring (keyring.backends.SecretService.Keyring)" in login.stdout
    assert stored(secret_service, url) == token

    status = cli(secret_service, "auth", "status", "--json")
    assert status.code == 0, status.stderr
    report = status.json()
    assert (report["user"], report["source"], report["accepted"]) == (name, "keyring", True)
    assert report["where"] == "keyring.backends.SecretService.Keyring"
    assert token not in status.stdout + status.stderr

    assert cli(secret_service, "list", "--json").code == 0  # the stored token is used

    logout = cli(secret_service, "auth", "logout")
    assert logout.code == 0 and "OS keyring" in logout.stdout
    assert stored(secret_service, url) == "None"
    assert cli(secret_service, "list").code == exits.NOT_SIGNED_IN
    assert not (Path(os.environ["VKSUPPORT_HOME"]) / "config" / "credentials.json").exists()


def test_two_servers_keep_two_tokens(secret_service, servers):
    for url, token, _ in servers:
        assert cli(secret_service, "auth", "login", "--server", url, "--with-token", input=token).code == 0
    for url, token, name in servers:
        assert stored(secret_service, url) == token
        status = cli(secret_service, "--server", url, "auth", "status", "--json")
        assert status.json()["user"] == name
    cli(secret_service, "auth", "logout", "--server", servers[0][0])
    assert stored(secret_service, servers[0][0]) == "None"
    assert stored(secret_service, servers[1][0]) == servers[1][1]


def test_a_rejected_token_says_sign_in_again_and_stays_stored(secret_service, servers):
    url, _, _ = servers[0]
    secret_service.keyring(f"keyring.set_password('vksupport', {url!r}, 'vks_revoked')")
    outcome = cli(secret_service, "--server", url, "list")
    assert outcome.code == exits.NOT_SIGNED_IN and "auth login" in outcome.stderr
    status = cli(secret_service, "--server", url, "auth", "status")
    assert status.code == exits.NOT_SIGNED_IN and "rejects the token" in status.stdout
    assert stored(secret_service, url) == "vks_revoked"  # never deleted behind the user's back


def test_a_daemon_that_cannot_prompt_refuses_clearly(tmp_path, servers):
    require_secret_service()
    url, token, _ = servers[0]
    with SecretService(tmp_path / "no-unlock", password=None) as service:
        outcome = cli(service, "auth", "login", "--server", url, "--with-token", input=token)
    assert outcome.code == exits.ERROR
    assert "VKSUPPORT_TOKEN" in outcome.stderr and "--insecure-storage" in outcome.stderr
    assert token not in outcome.stdout + outcome.stderr
    assert not (Path(os.environ["VKSUPPORT_HOME"]) / "config" / "credentials.json").exists()


def test_a_locked_keyring_is_reported_not_bypassed(tmp_path, servers):
    require_secret_service()
    url, token, _ = servers[0]
    root = tmp_path / "locked"
    with SecretService(root) as service:
        assert cli(service, "auth", "login", "--server", url, "--with-token", input=token).code == 0
    with SecretService(root, password="wrong password") as service:
        outcome = cli(service, "--server", url, "list")
        assert outcome.code == exits.NOT_SIGNED_IN
        assert "keyring" in outcome.stderr and "VKSUPPORT_TOKEN" in outcome.stderr
        refused = cli(service, "auth", "login", "--server", url, "--with-token", input=token)
        assert refused.code == exits.ERROR and "--insecure-storage" in refused.stderr


def test_the_token_is_in_no_file_and_no_output(secret_service, servers):
    url, token, _ = servers[0]
    outputs = [cli(secret_service, "--debug", "auth", "login", "--server", url, "--with-token", input=token)]
    outputs.append(cli(secret_service, "--debug", "ask", "--topic", "account", "--title", "Т", "--body", "Б"))
    outputs.append(cli(secret_service, "--debug", "show", "424242"))
    outputs.append(cli(secret_service, "--debug", "auth", "status"))
    outputs.append(cli(secret_service, "--debug", "auth", "logout"))
    assert [o.code for o in outputs] == [0, 0, exits.NOT_FOUND, 0, 0]
    for outcome in outputs:
        assert token not in outcome.stdout + outcome.stderr
    for path in Path(os.environ["VKSUPPORT_HOME"]).rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_logout_on_a_locked_keyring_says_it_could_not_and_keeps_nothing_hidden(tmp_path, servers):
    """Issue 12 item 12: a locked keyring is never reported as "nothing to remove"."""
    require_secret_service()
    url, token, _ = servers[0]
    root = tmp_path / "locked-logout"
    with SecretService(root) as service:
        assert cli(service, "auth", "login", "--server", url, "--with-token", input=token).code == 0
    with SecretService(root, password="wrong password") as service:
        outcome = cli(service, "auth", "logout", "--server", url)
    assert outcome.code == exits.ERROR, outcome
    assert "nothing to remove" not in outcome.stdout + outcome.stderr
    assert "Could not remove the token" in outcome.stderr and "Unlock the keyring" in outcome.stderr
    assert token not in outcome.stdout + outcome.stderr
    with SecretService(root) as service:  # unlocked again: the token is indeed still there
        assert stored(service, url) == token
