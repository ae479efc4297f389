"""The desk on PostgreSQL and what goes with it: the --db value, migrations recorded in the
database (both dialects), the queue's plan on both databases, and help search staying current
on every node."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from vksupport_cli.cli import exits
from vksupport_cli.desk import queue, schema
from vksupport_cli.desk.service import Desk
from vksupport_cli.desk.store import SQLiteStore

from cli_support import subprocess_run
from server_support import DeskServer

# -- the --db value -------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["mysql://root:secret@db.example/desk", "https://desk.example/db", "sqlite://x"]
)
def test_a_url_that_is_no_desk_database_is_refused_with_a_sentence(target, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused = subprocess_run("desk", "add-user", "bob", "--db", target)
    assert refused.code == exits.USAGE
    assert "postgresql://" in refused.stderr and "Traceback" not in refused.stderr
    assert "secret" not in refused.stderr  # no password echoed
    assert list(tmp_path.iterdir()) == []  # no folder named like the URL


def test_operator_commands_take_a_postgresql_url(pg_url, tmp_path):
    made = subprocess_run("desk", "add-user", "bob", "--db", pg_url)
    assert made.code == exits.OK, made.stderr
    token = made.stdout.strip()
    assert Desk.open(pg_url).user_by_token(token).name == "bob"
    off = subprocess_run("desk", "accepting", "off", env={"VKSUPPORT_DESK_DB": pg_url})
    assert off.code == exits.OK, off.stderr
    assert Desk.open(pg_url).accepting() is False


def test_an_unreachable_postgresql_is_one_sentence(pg_cluster):
    gone = pg_cluster.url().replace(str(pg_cluster.port), "9")
    outcome = subprocess_run("desk", "accepting", "on", "--db", gone)
    assert outcome.code == exits.UNAVAILABLE
    assert "Cannot reach the desk's PostgreSQL" in outcome.stderr and "Traceback" not in outcome.stderr


# -- migrations ---------------------------------------------------------------------------


def test_a_new_postgresql_database_gets_the_schema_and_records_it(pg_cluster):
    url = pg_cluster.new_database()
    desk = Desk.open(url)
    rows = desk.store.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(n + 1, name) for n, (name, _) in enumerate(schema.MIGRATIONS)]
    desk.close()
    Desk.open(url).close()  # a second node finds it migrated: nothing runs twice
    again = Desk.open(url)
    assert (
        again.store.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == schema.SCHEMA_VERSION
    )
    again.close()


def test_an_old_sqlite_desk_is_migrated_forward_and_keeps_its_queue(tmp_path):
    """A desk made by the first schema (before the ledger) gains the queue key and the ledger."""
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for statement in schema.statements(schema.render(schema.MIGRATIONS[0][1], SQLiteStore.words)):
        conn.execute(statement)
    conn.execute("INSERT INTO users (id, name, role, created_at) VALUES (1, 'alice', 'user', 'x')")
    conn.execute(
        "INSERT INTO questions (user_id, kind, topic, title, body, status, created_at, updated_at, queued_at)"
        " VALUES (1, 'standard', 'account', 'Т', 'Б', 'waiting', 'x', 'x', '2026-11-26T12:00:00.000Z')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    desk = Desk.open(path)
    ledger = desk.conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in ledger] == list(range(1, schema.SCHEMA_VERSION + 1))
    assert desk.conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    agent = desk.ensure_user("smith", "agent")
    assert desk.take(agent).title == "Т"
    desk.close()


# -- the queue's plan -------------------------------------------------------------------------


#: Kind and point for each of the take's probes (ads at or after, ads before, standard ...).
PROBE_ARGS = ("ads", 12345) * 2 + ("standard", 12345) * 2


def test_a_take_on_sqlite_probes_the_queue_index_and_sorts_nothing(db_path):
    desk = Desk.open(db_path)
    plan = " | ".join(
        row[3] for row in desk.conn.execute("EXPLAIN QUERY PLAN " + queue.probes(desk.store), PROBE_ARGS)
    )
    assert plan.count("questions_queue") == 4 and "TEMP B-TREE" not in plan, plan
    desk.close()


def test_a_take_on_postgresql_probes_the_queue_index_and_skips_locked_rows(pg_url):
    desk = Desk.open(pg_url)
    with desk.store.write():
        desk.store.execute("SET LOCAL enable_seqscan = off")  # a small table would otherwise be scanned
        plan = " | ".join(
            row[0] for row in desk.store.execute("EXPLAIN " + queue.probes(desk.store), PROBE_ARGS)
        )
    assert plan.count("questions_queue") == 4 and "Sort" not in plan and plan.count("LockRows") == 4, plan
    assert queue.probes(desk.store).count("SKIP LOCKED") == 4
    desk.close()


def test_takes_hand_out_every_waiting_question_once_advertisers_first(pg_url):
    desk = Desk.open(pg_url)
    agent = desk.ensure_user("smith", "agent")
    asked = {}
    for n in range(30):
        user = desk.ensure_user(f"u{n}")
        kind = "ads" if n % 5 == 0 else "standard"
        topic = "ads-business" if kind == "ads" else "account"
        asked[desk.ask(user, topic=topic, title=f"Вопрос {n}", body=f"Текст {n}", kind=kind).question.id] = (
            kind
        )
    taken = []
    while (question := desk.take(agent)) is not None:
        taken.append(question.id)
    assert sorted(taken) == sorted(asked)
    assert [asked[q] for q in taken] == ["ads"] * 6 + ["standard"] * 24
    desk.close()


# -- help search on every node -------------------------------------------------------------------


def test_articles_imported_through_one_node_are_found_on_every_node(pg_url, tmp_path):
    corpus = tmp_path / "articles.jsonl"
    article = {
        "slug": "lost-parrot",
        "category": "account",
        "title": "Пропал попугай",
        "body": "Если попугай улетел, напишите в поддержку зоопарка.",
        "can_ask": True,
        "tags": ["попугай"],
    }
    corpus.write_text(json.dumps(article, ensure_ascii=False) + "\n", encoding="utf-8")
    # a node rebuilds its index on the first search after an import: seconds on a busy machine,
    # more than httpx's default 5 s timeout; what is checked here is the result, not the time
    search_timeout = 60
    with DeskServer(pg_url) as first, DeskServer(pg_url) as second:
        for node in (first, second):  # each node builds its index before the import
            hits = httpx.get(
                f"{node.url}/api/v1/help/search", params={"q": "попугай"}, timeout=search_timeout
            ).json()
            assert all(hit["slug"] != "lost-parrot" for hit in hits)
        imported = subprocess_run("desk", "import-help", str(corpus), "--db", pg_url)
        assert imported.code == exits.OK, imported.stderr
        for node in (first, second):
            hits = httpx.get(
                f"{node.url}/api/v1/help/search", params={"q": "попугай"}, timeout=search_timeout
            ).json()
            assert [hit["slug"] for hit in hits] == ["lost-parrot"]


# -- round trips -----------------------------------------------------------------------------


def test_a_desk_call_takes_one_pooled_connection_and_reads_a_question_in_one_statement(pg_url):
    """A question GET was five statements, each on a connection fetched from the pool anew."""
    from vksupport_cli.desk.postgres import PostgresStore

    class CountingStore(PostgresStore):
        """The real store, counting the statements it sends."""

        statements = 0

        def execute(self, sql, args=()):
            self.statements += 1
            return super().execute(sql, args)

    store = CountingStore(pg_url)
    desk = Desk(store)
    try:
        user, token = desk.add_user("counted", "user")
        agent, _token = desk.add_user("counted-agent", "agent")
        qid = desk.ask(user, topic="account", title="Вопрос", body="Текст.").question.id
        desk.take(agent)
        desk.comment(user, qid, "Ещё подробности.")
        desk.attach(user, qid, "log.txt", b"text")
        desk.answer(agent, qid, "Ответ.")

        def cost(call):
            statements, taken = store.statements, store.pool.get_stats().get("requests_num", 0)
            result = call()
            return (
                result,
                store.statements - statements,
                store.pool.get_stats().get("requests_num", 0) - taken,
            )

        question, statements, connections = cost(lambda: desk.get_question(user, qid))
        assert (statements, connections) == (1, 1)
        assert [c.body for c in question.comments] == ["Ещё подробности.", "Ответ."]
        assert [a.filename for a in question.attachments] == ["log.txt"]
        assert cost(lambda: desk.user_by_token(token))[1:] == (1, 1)
        page, statements, connections = cost(lambda: desk.list_questions(user))
        assert (statements, connections) == (1, 1) and [q.id for q in page.questions] == [qid]
        # A write and the question read back after it: many statements, one connection.
        assert cost(lambda: desk.comment(user, qid, "И ещё."))[2] == 1
    finally:
        desk.close()
