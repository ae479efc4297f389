"""The desk's rules under concurrent callers, on three desks: the sandbox (threads, each with its
own connection to one SQLite file), one server node on SQLite, and two server nodes on one
PostgreSQL with callers spread over both nodes."""

from __future__ import annotations

import itertools
import shutil
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from vksupport_cli.client.http import HttpClient
from vksupport_cli.client.local import LocalClient
from vksupport_cli.desk.service import Desk
from vksupport_cli.errors import NotEditable, OpenQuestionExists

from server_support import DeskServer

_names = itertools.count()
ROUNDS = 20  # races of an edit against a take


class Desks:
    """Accounts made by the operator, and clients for them on the desk under test."""

    def __init__(self, kind: str, target, servers: list[DeskServer]):
        self.kind = kind
        self.target = target
        self.servers = servers

    def account(self, role: str = "user") -> tuple[str, str]:
        desk = Desk.open(self.target)
        try:
            user, token = desk.add_user(f"{role}-{next(_names)}", role)
        finally:
            desk.close()
        return user.name, token

    def client(self, account: tuple[str, str], n: int = 0):
        """A client for ``account``; the ``n``-th caller reaches node ``n % nodes``."""
        name, token = account
        if not self.servers:
            return LocalClient(Desk.open(self.target), user=name, agent=name)
        return HttpClient(self.servers[n % len(self.servers)].url, token)


@pytest.fixture(scope="module", params=["sandbox", "sqlite-node", "pg-nodes"])
def desks(request, tmp_path_factory, _template_db):
    kind = request.param
    if kind == "pg-nodes":
        target = request.getfixturevalue("pg_cluster").new_database(
            template=request.getfixturevalue("pg_template")
        )
    else:
        target = tmp_path_factory.mktemp("concurrency") / "desk.sqlite3"
        shutil.copy(_template_db, target)
    count = {"sandbox": 0, "sqlite-node": 1, "pg-nodes": 2}[kind]
    # Two workers a node on PostgreSQL: four processes write at once, as behind a balancer.
    servers = [DeskServer(target, workers=2 if kind == "pg-nodes" else 1).start() for _ in range(count)]
    yield Desks(kind, target, servers)
    for server in servers:
        server.stop()


@pytest.fixture(autouse=True)
def empty_queue(desks):
    """Each test starts with nothing waiting (the module's tests share one desk)."""
    desk = Desk.open(desks.target)
    desk.store.execute("UPDATE questions SET status = 'closed' WHERE status IN ('waiting', 'in_progress')")
    desk.close()


def at_once(count: int, work):
    """Run ``work(n)`` for n in range(count) on ``count`` threads released together."""
    barrier = threading.Barrier(count)

    def one(n):
        barrier.wait()
        return work(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def ask(client, **fields):
    values = {"topic": "account", "title": "Не могу войти", "body": "Пишет, что пароль неверный."}
    values.update(fields)
    return client.ask(**values)


def test_twenty_concurrent_asks_create_one_question(desks):
    account = desks.account()
    clients = [desks.client(account, n) for n in range(20)]

    def one(n):
        try:
            ask(clients[n], title=f"Гонка {n}", body=f"Кто первый? {n}")
            return "created"
        except OpenQuestionExists:
            return "conflict"

    assert sorted(at_once(20, one)) == ["conflict"] * 19 + ["created"]
    assert len(clients[0].list_questions().questions) == 1
    for client in clients:
        client.close()


def test_a_replayed_create_makes_one_question(desks):
    account = desks.account()
    clients = [desks.client(account, n) for n in range(20)]
    made = at_once(20, lambda n: ask(clients[n], idempotency_key="one-key").question.id)
    assert len(set(made)) == 1
    assert [q.id for q in clients[0].list_questions().questions] == made[:1]
    for client in clients:
        client.close()


def test_a_create_replayed_at_once_on_every_node_gives_one_question_and_the_same_reply(desks):
    """The replay-lock race: requests with one key meet in the key's lock (PostgreSQL: an advisory
    lock, the callers spread over both nodes; SQLite: the write lock). The first creates; every other
    waits for it and answers with what it made, repeat noticed included, word for word."""
    account = desks.account()
    earlier = desks.client(account, 0)
    before = ask(earlier, title="Не приходит код", body="Код подтверждения не приходит на телефон.")
    earlier.close_question(before.question.id)
    earlier.close()
    clients = [desks.client(account, n) for n in range(10)]
    replies = at_once(
        10,
        lambda n: ask(
            clients[n],
            title="Не приходит код",
            body="Код подтверждения не приходит на телефон.",
            idempotency_key="replayed-at-once",
        ).to_dict(),
    )
    assert replies[0]["repeats"] == before.question.id  # what the first request noticed ...
    assert all(reply == replies[0] for reply in replies)  # ... every replay answers too
    open_now = [q.id for q in clients[0].list_questions(status="open").questions]
    assert open_now == [replies[0]["question"]["id"]]
    assert len(clients[0].list_questions().questions) == 2  # the earlier one, and one new
    for client in clients:
        client.close()


def test_an_edit_racing_a_take_never_lands_after_the_take(desks):
    """Whichever wins, the agent works on what the user wrote: no edit lands on a taken question."""
    agent = desks.client(desks.account("agent"), 1)
    outcomes = Counter()
    for _ in range(ROUNDS):
        user = desks.client(desks.account(), 0)
        question = ask(user).question
        results: dict[str, object] = {}

        def edit(n, user=user, question=question, results=results):
            try:
                results["edit"] = user.edit_question(question.id, title="Исправленный заголовок")
            except NotEditable:
                results["edit"] = None

        def take(n, results=results):
            results["taken"] = agent.agent_take()

        at_once(2, lambda n: (edit, take)[n](n))
        taken = results["taken"]
        if taken is None:
            # PostgreSQL: the take skipped the row the edit held (SKIP LOCKED), so the edit won.
            assert desks.kind == "pg-nodes" and results["edit"] is not None
            taken = agent.agent_take()
        stored = user.get_question(question.id)
        assert taken is not None and taken.id == question.id
        assert stored.status == "in_progress"
        assert taken.title == stored.title  # nothing changed after the take
        outcomes["edited first" if results["edit"] is not None else "taken first"] += 1
        agent.agent_answer(question.id, "Ответ.")
        user.close()
    assert sum(outcomes.values()) == ROUNDS
    agent.close()


def test_two_agents_taking_at_once_never_get_the_same_question(desks):
    asked = []
    for _ in range(12):
        user = desks.client(desks.account(), 0)
        asked.append(ask(user).question.id)
        user.close()
    agents = [desks.client(desks.account("agent"), n) for n in range(2)]

    def drain(n):
        got = []
        while (question := agents[n].agent_take()) is not None:
            got.append(question.id)
        return got

    first, second = at_once(2, drain)
    taken = first + second
    assert len(taken) == len(set(taken))  # none taken twice
    assert set(asked) <= set(taken)  # every waiting question was handed out
    for client in agents:
        client.close()
