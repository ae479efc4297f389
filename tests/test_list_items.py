"""The server's list and GET: finished questions' JSON reused by revision, never stale (issue 14).

Desk.list_page gives a page as (id, revision, fields); the server keeps the
encoded items of finished questions by (id, revision) (server/items.py) and,
for a page, reads only the keys of the items it holds; a GET keeps the whole
thread the same way and reads only the question's key when it holds it. These
tests hold the replies against the records' own ``to_dict()`` through every
kind of change a question goes through, on SQLite and on PostgreSQL, in process
and through real servers (two nodes on PostgreSQL: a change made through one
shows on the other), and check that the revision the reuse relies on moves on
every write, even two in the same millisecond (which ``updated_at`` cannot
tell apart).
"""

from __future__ import annotations

import json

import httpx
import msgspec
import pytest

from vksupport_cli.desk.service import Desk
from vksupport_cli.errors import NotFound
from vksupport_cli.server.app import _thread
from vksupport_cli.server.items import EncodedItems, KeptByRevision

from conftest import Clock, ask
from server_support import DeskServer

_encode = msgspec.json.Encoder().encode


@pytest.fixture(params=["sqlite", "postgresql"])
def any_desk(request, db_path):
    """A desk on each database, its clock frozen unless a test moves it."""
    target = str(db_path) if request.param == "sqlite" else request.getfixturevalue("pg_url")
    desk = Desk.open(target, clock=Clock())
    yield desk
    desk.close()


def revision(desk: Desk, question_id: int) -> int:
    return desk.store.execute("SELECT revision FROM questions WHERE id = ?", (question_id,)).fetchone()[0]


def served(desk: Desk, items: EncodedItems, who, **query) -> tuple[dict, int]:
    """The page the server sends (through ``items``), decoded, and how many items it reused."""
    known, found = items.lookup()
    listed, next_cursor = desk.list_page(who, known=known, **query)
    reused = sum(1 for _, _, fields in listed if fields is None)
    return json.loads(items.page(listed, next_cursor, found)), reused


def test_a_page_without_reuse_is_the_list_of_records(desk, user, agent):
    for n in range(5):
        question = ask(desk, user, title=f"Вопрос номер {n}")
        if n < 4:
            desk.take(agent)
            desk.answer(agent, question.id, "Ответ.")
            desk.close_question(user, question.id)
    for who in (user, agent):
        for status in ("all", "open", "waiting", "closed"):
            cursor = None
            while True:
                listed, next_cursor = desk.list_page(who, status=status, limit=2, cursor=cursor)
                records = desk.list_questions(who, status=status, limit=2, cursor=cursor).to_dict()
                assert [fields for _, _, fields in listed] == records["questions"]
                assert [list(fields) for _, _, fields in listed] == [list(q) for q in records["questions"]]
                assert next_cursor == records["next_cursor"]
                if next_cursor is None:
                    break
                cursor = next_cursor
    open_page, _ = desk.list_page(user, status="open")
    assert open_page[0][2]["expected_answer_by"] is not None


def test_the_served_page_follows_every_change(any_desk):
    desk = any_desk
    user, agent = desk.ensure_user("alice"), desk.ensure_user("agent-smith", "agent")
    items = EncodedItems(_encode)

    def check(who=user, **query) -> int:
        page, reused = served(desk, items, who, **query)
        assert page == desk.list_questions(who, **query).to_dict()
        return reused

    finished = []
    for n in range(3):
        question = ask(desk, user, title=f"Старый вопрос {n}")
        desk.take(agent)
        desk.answer(agent, question.id, "Ответ.")
        if n < 2:
            desk.close_question(user, question.id)
        finished.append(question.id)
    assert check() == 0  # nothing held yet
    assert check() == 3 and len(items) == 3  # every finished item reused
    assert check(agent) == 3  # the same items serve an agent's list

    current = ask(desk, user, title="Новый вопрос")
    assert check() == 3  # an open question is never held: its expected answer moves with the queue
    desk.edit_question(user, current.id, title="Новый вопрос, правка 1")
    desk.edit_question(user, current.id, title="Новый вопрос, правка 2")  # the same millisecond
    assert check() == 3
    desk.comment(user, current.id, "Дополнение.")
    desk.take(agent)
    desk.answer(agent, current.id, "Ответ на новый.")
    assert check() == 3  # answered: held from now on
    assert check() == 4
    desk.rate(user, current.id, "good", "Спасибо")
    assert check() == 3  # rated and closed: a new revision, read whole once
    assert check() == 4
    desk.comment(user, finished[2], "Вопрос вернулся.")  # a comment after the answer opens it again
    assert check() == 3
    assert check(status="closed") == 3  # the two closed at first and the rated one
    waiting = ask(desk, desk.ensure_user("bob"), title="Чужой вопрос")
    assert check(agent) == 3  # an agent sees bob's waiting question whole, the three closed reused
    desk.delete_question(desk.ensure_user("bob"), waiting.id)
    assert check(agent) == 3
    assert check(limit=2) == 1  # the newest two: the rated one (held) and the reopened one
    assert check(limit=2, cursor=str(finished[2])) == 2


def test_every_write_moves_the_revision(any_desk):
    """Each change to a question or its thread gives it a new revision, in the same millisecond too."""
    desk = any_desk
    user, agent = desk.ensure_user("alice"), desk.ensure_user("agent-smith", "agent")
    question = ask(desk, user)
    seen = [revision(desk, question.id)]
    writes = [
        lambda: desk.edit_question(user, question.id, title="Правка один"),
        lambda: desk.edit_question(user, question.id, title="Правка два"),
        lambda: desk.comment(user, question.id, "Комментарий."),
        lambda: desk.attach(user, question.id, "note.txt", b"hello"),
        lambda: desk.take(agent),
        lambda: desk.answer(agent, question.id, "Ответ."),
        lambda: desk.comment(user, question.id, "Не помогло."),  # opens it again
        lambda: desk.take(agent),
        lambda: desk.answer(agent, question.id, "Второй ответ."),
        lambda: desk.rate(user, question.id, "bad", "Плохо"),
    ]
    for write in writes:
        write()
        seen.append(revision(desk, question.id))
    assert seen == sorted(set(seen)), seen  # strictly increasing: no two states share a revision


def test_items_are_bounded_and_least_recently_used_go_first():
    closed = {"status": "closed"}
    items = EncodedItems(_encode, capacity=3 * len(_encode({**closed, "id": 1})))  # three items
    for n in range(1, 4):
        items.page([(n, 0, {**closed, "id": n})], None, {})
    known, _ = items.lookup()
    assert known([(1, 0)]) == {1}  # 1 is now the most recently used
    items.page([(4, 0, {**closed, "id": 4})], None, {})
    assert len(items) == 3
    assert items.lookup()[0]([(n, 0) for n in (1, 2, 3, 4)]) == {1, 3, 4}
    assert items.lookup()[0]([(1, 1)]) == set()  # another revision is another item
    known, found = items.lookup()
    assert known([(3, 0)]) == {3}
    assert json.loads(items.page([(3, 0, None)], "7", found)) == {
        "questions": [{**closed, "id": 3}],
        "next_cursor": "7",
    }


def test_the_served_thread_follows_every_change(any_desk):
    desk = any_desk
    user, agent = desk.ensure_user("alice"), desk.ensure_user("agent-smith", "agent")
    threads: KeptByRevision = KeptByRevision(lambda thread: len(thread[0]))

    def check(who=user):
        body, _etag, _version = _thread(desk, who, question.id, threads)
        assert json.loads(body) == desk.get_question(who, question.id).to_dict()
        return body

    question = ask(desk, user)
    check()
    assert len(threads) == 0  # open: never kept
    desk.take(agent)
    desk.answer(agent, question.id, "Ответ.")
    first = check()
    assert check() is first and check(agent) is first  # kept, and reused for whoever may see it
    desk.attach(user, question.id, "log.txt", b"details")
    assert check() is not first  # the thread changed: a new revision, read whole
    assert "log.txt" in check().decode()
    desk.rate(user, question.id, "good", "Спасибо")
    assert json.loads(check())["rating"] == "good"
    stranger = desk.ensure_user("mallory")
    with pytest.raises(NotFound):
        _thread(desk, stranger, question.id, threads)  # kept or not, only who may see it gets it


def test_a_change_through_one_node_shows_on_the_other(pg_url):
    """Two nodes on one PostgreSQL: each keeps its own copies; a rating given through one shows,
    in the list and in the GET, on the other that had kept the question before."""
    desk = Desk.open(pg_url)
    try:
        user, token = desk.add_user("alice")
        agent = desk.ensure_user("agent-smith", "agent")
        question = ask(desk, user)
        desk.take(agent)
        desk.answer(agent, question.id, "Ответ.")
    finally:
        desk.close()
    auth = {"Authorization": f"Bearer {token}"}
    with DeskServer(pg_url) as one, DeskServer(pg_url) as two, httpx.Client(headers=auth, timeout=10) as http:
        for _ in range(2):  # the second time from what node one keeps
            assert http.get(f"{one.url}/api/v1/questions").json()["questions"][0]["rating"] is None
            assert http.get(f"{one.url}/api/v1/questions/{question.id}").json()["rating"] is None
        rated = http.post(f"{two.url}/api/v1/questions/{question.id}/rating", json={"rating": "good"})
        assert rated.status_code == 200, rated.text
        assert http.get(f"{one.url}/api/v1/questions").json()["questions"][0]["rating"] == "good"
        assert http.get(f"{one.url}/api/v1/questions/{question.id}").json()["rating"] == "good"


def test_a_kept_value_larger_than_the_bound_is_not_kept_for_long():
    kept: KeptByRevision[bytes] = KeptByRevision(len, capacity=10)
    kept.keep([((1, 0), b"12345")])
    kept.keep([((1, 0), b"1234")])  # the same key again: counted once
    kept.keep([((2, 0), b"123456")])
    assert kept.get((1, 0)) == b"1234" and kept.get((2, 0)) == b"123456"
    kept.keep([((3, 0), b"x" * 11)])  # over the bound by itself: everything goes
    assert len(kept) == 0
