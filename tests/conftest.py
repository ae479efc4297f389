from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from vksupport_cli.desk.service import Desk


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own VKSUPPORT_HOME, and no stray server or token."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("VKSUPPORT_HOME", str(home))
    monkeypatch.setenv("VKSUPPORT_LANG", "en")
    for name in ("VKSUPPORT_SERVER", "VKSUPPORT_TOKEN", "VKSUPPORT_DEBUG", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return home


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory):
    # Building the help-centre index once per session keeps every desk test fast.
    path = tmp_path_factory.mktemp("template") / "desk.sqlite3"
    Desk.open(path).close()
    return path


@pytest.fixture
def db_path(tmp_path, _template_db):
    import sqlite3

    path = tmp_path / "desk.sqlite3"
    source = sqlite3.connect(_template_db)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    return path


@pytest.fixture
def sandbox(_template_db):
    """A fresh sandbox desk in this test's VKSUPPORT_HOME (copied: the index is built once)."""
    from vksupport_cli import paths

    target = paths.sandbox_db()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(_template_db, target)
    return target


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def desk(db_path, clock):
    desk = Desk.open(db_path, clock=clock)
    yield desk
    desk.close()


@pytest.fixture
def user(desk):
    return desk.ensure_user("alice")


@pytest.fixture
def agent(desk):
    return desk.ensure_user("agent-smith", "agent")


def ask(desk, user, **fields):
    """Ask a valid question, overriding any field."""
    values = {
        "topic": "hacked-page",
        "title": "Мою страницу взломали",
        "body": "Вчера кто-то сменил пароль и пишет моим друзьям.",
    }
    values.update(fields)
    return desk.ask(user, **values).question


def pytest_terminal_summary(terminalreporter):
    """Say loudly when the real-keyring tests were skipped: a green run without them proves less."""
    skipped = terminalreporter.stats.get("skipped", [])
    if any("REAL-KEYRING TESTS DID NOT RUN" in str(report.longrepr) for report in skipped):
        terminalreporter.write_line(
            "NOTE: the real-keyring tests did not run (no gnome-keyring/dbus here); .ci/run installs them.",
            yellow=True,
        )
    if any("POSTGRESQL TESTS DID NOT RUN" in str(report.longrepr) for report in skipped):
        terminalreporter.write_line(
            "NOTE: the PostgreSQL tests did not run (no PostgreSQL here); .ci/run installs it.", yellow=True
        )


# -- PostgreSQL ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_cluster():
    """A throw-away PostgreSQL cluster for the session (see pg_support.py).

    Where it cannot start, the PostgreSQL tests skip, except in CI (CI=true) or with
    VKSUPPORT_REQUIRE_POSTGRES=1, where they fail.
    """
    from pg_support import PostgresCluster, require_postgres

    cluster = PostgresCluster()
    try:
        cluster.start()
    except Exception as exc:  # noqa: BLE001 - any reason it cannot start is reported the same way
        cluster.stop()
        message = f"POSTGRESQL TESTS DID NOT RUN: the throw-away cluster did not start ({exc})"
        if require_postgres():
            pytest.fail(message)
        pytest.skip(message)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster):
    """A migrated PostgreSQL desk with the help centre loaded, copied by each database that needs one."""
    url = pg_cluster.new_database()
    Desk.open(url).close()
    return url.rsplit("/", 1)[1]  # closed: a template may have no open connections


@pytest.fixture
def pg_url(pg_cluster, pg_template):
    """A fresh PostgreSQL desk of this test's own."""
    return pg_cluster.new_database(template=pg_template)


def load_tool(name: str):
    """A script of tools/ (not a package), imported by its path: ``load_tool("corpus_lemmas")``."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"vksupport_tool_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
