"""Import guards: the fast paths of the CLI do not load what they do not use.

Each check runs a real interpreter with ``-X importtime`` and reads the modules
it imported, so it sees exactly what a user's process loads. No timings are
asserted (bench/startup.py measures them); only which packages are loaded.

What loads what today (keep this in step with the assertions):

- ``vksupport --version`` and ``import vksupport_cli.cli.main``: the package's
  ``__init__`` and ``cli.main`` only; Typer and click are imported inside
  ``main.run``, after the ``--version`` shortcut.
- No client start-up imports msgspec (the server's decoder and document writer).
- No client start-up imports psycopg (the PostgreSQL driver): desk/store.py loads
  desk/postgres.py only for a ``postgresql://`` desk database.
- ``vksupport list --json``, ``show ID --json`` and ``search-help Q --json``
  take the fast path (``cli/fast.py``): no click, no Typer, no rich; the desk
  (sqlite3, PyStemmer through desk.search); no httpx (``client.http`` is
  imported only for a URL server), no keyring (the sandbox needs no token),
  no server packages, no psycopg. Any other command line goes through Typer.
- ``vksupport list`` (for a person): click and Typer, only the command's own
  module; rich comes with ``Context.console`` and the human renderers.
- ``vksupport --help``: Typer and click, and of ours only the entry point,
  the fast path's parser and ``cli.app``: the command list comes from a table
  (``app.commands()``), no command module, no desk, no rich (in a pipe).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: msgspec is the server's (request decoding, the OpenAPI document): ~10 ms of start-up with what it loads.
HEAVY = ("httpx", "keyring", "rich", "starlette", "uvicorn", "typer", "psycopg", "psycopg_pool", "msgspec")
#: The PostgreSQL driver: loaded only by a desk whose --db is a postgresql:// URL.
POSTGRES = ("psycopg", "psycopg_pool")


def imported(
    args: list[str], env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess, list[tuple[int, str]]]:
    """Run ``python -X importtime ARGS``; the process and its imports as (depth, module), in report order."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env or os.environ.copy(),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    modules = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            name = line.split("|", 2)[2]
            modules.append(((len(name) - len(name.lstrip(" ")) - 1) // 2, name.strip()))
    return done, modules


def offenders(modules: list[tuple[int, str]], packages: tuple[str, ...]) -> dict[str, str]:
    """package → the import chain that first brought it in ('a <- b <- c', importer last)."""
    found: dict[str, str] = {}
    for index, (depth, name) in enumerate(modules):
        top = name.split(".")[0]
        if top in packages and top not in found:
            chain, level = [name], depth
            # -X importtime reports a module after everything it imported, one level deeper:
            # the importer is the next line that is less indented.
            for later_depth, later in modules[index + 1 :]:
                if later_depth < level:
                    chain.append(later)
                    level = later_depth
            found[top] = " <- ".join(chain)
    return found


def test_version_imports_nothing_heavy():
    done, modules = imported(["-m", "vksupport_cli", "--version"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("vksupport ")
    assert offenders(modules, HEAVY) == {}
    assert any(name == "vksupport_cli.cli.main" for _, name in modules)  # the check saw the real entry point


def test_entry_module_imports_nothing_heavy():
    """The console script imports vksupport_cli.cli.main before it parses anything."""
    done, modules = imported(["-c", "import vksupport_cli.cli.main"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert offenders(modules, HEAVY) == {}


@pytest.fixture
def sandbox_with_history(isolated_home):
    """A sandbox whose user has a few finished questions and one waiting, made through the desk API."""
    from vksupport_cli import paths
    from vksupport_cli.desk.service import Desk

    desk = Desk.open(paths.sandbox_db())
    try:
        user = desk.ensure_user("sandbox-user")
        agent = desk.ensure_user("sandbox-agent", "agent")
        topic = desk.topics()[0].slug
        for i in range(3):
            q = desk.ask(
                user, topic=topic, title=f"Вопрос {i}", body=f"Подробности номер {i}, разные слова {i * 7}"
            ).question
            desk.take(agent)
            desk.answer(agent, q.id, "Ответ.")
            if i % 2:
                desk.rate(user, q.id, "good")
        desk.ask(user, topic=topic, title="Открытый вопрос", body="Ждёт ответа.")
    finally:
        desk.close()
    return isolated_home


def test_list_on_the_sandbox_imports_no_network_keyring_server_or_rich(sandbox_with_history):
    env = os.environ.copy()
    env.pop("NO_COLOR", None)
    env["VKSUPPORT_FAST_PATH"] = "0"  # the Typer path, as any command but the fast ones takes
    done, modules = imported(["-m", "vksupport_cli", "list", "--json"], env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(json.loads(done.stdout)) == 4
    assert (
        offenders(modules, ("httpx", "keyring", "starlette", "uvicorn", "rich", "msgspec", *POSTGRES)) == {}
    )
    # It does need the command tree: a guard that proves the run went through Typer.
    assert "typer" in {name.split(".")[0] for _, name in modules}
    names = {name for _, name in modules}
    assert "vksupport_cli.cli.agent" not in names and "vksupport_cli.cli.operator" not in names


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--json"],
        ["show", "1", "--json"],
        ["search-help", "взломали страницу", "--json"],
        ["list", "--status", "open", "--json", "--debug"],
    ],
)
def test_the_json_data_commands_import_no_typer_click_or_rich(sandbox_with_history, args):
    """The fast path (cli/fast.py): what scripts run most costs no command tree at all."""
    env = os.environ.copy()
    env.pop("NO_COLOR", None)
    done, modules = imported(["-m", "vksupport_cli", *args], env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)
    assert (
        offenders(
            modules,
            ("typer", "click", "rich", "httpx", "keyring", "starlette", "uvicorn", "msgspec", *POSTGRES),
        )
        == {}
    )
    assert not any(name == "vksupport_cli.wire" for _, name in modules)  # request shapes: writes only
    assert any(name == "vksupport_cli.cli.fast" for _, name in modules)


def test_help_imports_no_command_module_no_desk_and_no_rich():
    """`vksupport --help` lists the commands from a table (app.commands): none of them is imported."""
    env = os.environ.copy()
    done, modules = imported(["-m", "vksupport_cli", "--help"], env)
    assert done.returncode == 0 and "search-help" in done.stdout, done.stderr[-2000:]
    names = {name for _, name in modules}
    assert "typer" in {name.split(".")[0] for name in names}  # the help is Typer's
    loaded = sorted(name for name in names if name.startswith(("vksupport_cli.cli.", "vksupport_cli.desk")))
    assert loaded == sorted(
        {
            "vksupport_cli.cli.app",
            "vksupport_cli.cli.clickwords",  # click's own words in the user's language
            "vksupport_cli.cli.context",
            "vksupport_cli.cli.exits",
            "vksupport_cli.cli.fast",
            "vksupport_cli.cli.main",
            "vksupport_cli.cli.render",
        }
    ), loaded
    assert offenders(modules, ("rich", "httpx", "keyring", "starlette", "uvicorn")) == {}


def test_operator_commands_on_a_sqlite_desk_import_no_postgres_driver(isolated_home, tmp_path):
    done, modules = imported(
        ["-m", "vksupport_cli", "desk", "accepting", "on", "--db", str(tmp_path / "desk.sqlite3")]
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert offenders(modules, POSTGRES) == {}
    # The guard can fail: the same import check sees the driver when it is loaded.
    _, loaded = imported(["-c", "import vksupport_cli.desk.postgres"])
    assert set(offenders(loaded, POSTGRES)) == set(POSTGRES)
