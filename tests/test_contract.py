"""One contract, two adapters: every client operation against the in-process sandbox
and against a real server over loopback HTTP, with the same results and errors."""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass

import pytest

from vksupport_cli.client.http import HttpClient
from vksupport_cli.client.local import LocalClient
from vksupport_cli.desk.service import Desk
from vksupport_cli.errors import (
    BadInput,
    Conflict,
    IdempotencyMismatch,
    NotAccepting,
    NotAllowed,
    NotEditable,
    NotFound,
    NotSignedIn,
    OpenQuestionExists,
)

from server_support import Alternating, DeskServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
_names = itertools.count()


DESKS = ["sandbox", "sqlite-node", "pg-nodes"]


@pytest.fixture(scope="module", params=DESKS)
def kind(request):
    """Which desk the module's tests run against: the in-process sandbox, one server on SQLite,
    or two servers on one PostgreSQL with calls alternating between them."""
    return request.param


@pytest.fixture(scope="module")
def shared_db(kind, tmp_path_factory, _template_db, request):
    """The desk's database: a SQLite file, or a PostgreSQL URL."""
    if kind == "pg-nodes":
        cluster = request.getfixturevalue("pg_cluster")
        return cluster.new_database(template=request.getfixturevalue("pg_template"))
    path = tmp_path_factory.mktemp("contract") / "desk.sqlite3"
    shutil.copy(_template_db, path)
    return path


@pytest.fixture(scope="module")
def servers(kind, shared_db):
    """The desk's server nodes (none for the sandbox)."""
    count = {"sandbox": 0, "sqlite-node": 1, "pg-nodes": 2}[kind]
    running = [DeskServer(shared_db).start() for _ in range(count)]
    yield running
    for server in running:
        server.stop()


@pytest.fixture(scope="module")
def server(kind, shared_db):
    """One server on the desk's database (the tests of the HTTP adapter itself)."""
    with DeskServer(shared_db) as running:
        yield running


def remote(servers, token):
    """A client over HTTP: to the one node, or alternating between the nodes."""
    clients = [HttpClient(server.url, token) for server in servers]
    return clients[0] if len(clients) == 1 else Alternating(*clients)


@pytest.fixture
def operator(shared_db):
    """The desk itself, for what only an operator does; starts each test with an empty queue."""
    desk = Desk.open(shared_db)
    desk.store.execute("UPDATE questions SET status = 'closed' WHERE status IN ('waiting', 'in_progress')")
    desk.set_accepting(True)
    yield desk
    desk.close()


@dataclass
class People:
    user: object  # a DeskClient acting as a fresh user
    agent: object  # a DeskClient acting as a fresh agent
    stranger: object  # another fresh user


@pytest.fixture
def people(kind, operator, shared_db, servers):
    n = next(_names)
    accounts = {
        "user": operator.add_user(f"user-{n}", "user"),
        "agent": operator.add_user(f"agent-{n}", "agent"),
        "stranger": operator.add_user(f"stranger-{n}", "user"),
    }
    clients = {}
    for role, (account, token) in accounts.items():
        if kind == "sandbox":
            name = account.name
            clients[role] = LocalClient(Desk.open(shared_db), user=name, agent=name)
        else:
            clients[role] = remote(servers, token)
    yield People(**clients)
    for client in clients.values():
        client.close()


def ask(client, **fields):
    values = {"topic": "hacked-page", "title": "Взломали страницу", "body": "Сменили пароль."}
    values.update(fields)
    return client.ask(**values).question


# -- help centre --------------------------------------------------------------


def test_search_article_topics(people):
    hits = people.user.search_help("взломали страницу", limit=3)
    assert hits[0].slug == "hacked-page" and len(hits) <= 3
    assert people.user.search_help("пароль", category="security")
    assert all(h.category == "security" for h in people.user.search_help("пароль", category="security"))
    article = people.user.article("hacked-page")
    assert article.can_ask and article.title == "Мою страницу взломали"
    topics = people.user.topics()
    assert {"hacked-page", "account"} <= {t.slug for t in topics}
    assert "security" in people.user.categories()
    with pytest.raises(NotFound):
        people.user.article("no-such-article")
    with pytest.raises(BadInput):
        people.user.search_help("   ")


def test_me(people):
    me = people.user.me()
    assert me.role == "user" and me.name.startswith("user-")


# -- questions ------------------------------------------------------------------


def test_ask_get_list(people):
    question = ask(people.user, link="vk.com/id1", attachments=[("shot.png", PNG)])
    assert (question.status, question.link, question.unprocessed) == ("waiting", "https://vk.com/id1", True)
    assert [a.filename for a in question.attachments] == ["shot.png"]
    assert people.user.get_question(question.id) == question
    page = people.user.list_questions()
    assert [q.id for q in page.questions] == [question.id]
    assert people.user.list_questions(status="answered").questions == []
    meta, content = people.user.attachment_content(question.id, question.attachments[0].id)
    assert content == PNG and meta.content_type == "image/png"


def test_one_open_question(people):
    first = ask(people.user)
    with pytest.raises(OpenQuestionExists) as refused:
        ask(people.user, title="Другое", body="Другое.")
    assert refused.value.question_id == first.id


def test_idempotent_ask(people):
    first = people.user.ask(topic="account", title="Т", body="Б", idempotency_key="same-key")
    again = people.user.ask(topic="account", title="Т", body="Б", idempotency_key="same-key")
    assert again.question.id == first.question.id
    assert len(people.user.list_questions().questions) == 1


def test_edit_and_delete_only_while_unprocessed(people):
    question = ask(people.user)
    edited = people.user.edit_question(question.id, title="Новый заголовок", clear_link=True)
    assert edited.title == "Новый заголовок"
    people.user.delete_question(question.id)
    with pytest.raises(NotFound):
        people.user.get_question(question.id)
    second = ask(people.user)
    assert people.agent.agent_take().id == second.id
    with pytest.raises(NotEditable):
        people.user.edit_question(second.id, title="Поздно")
    with pytest.raises(NotEditable):
        people.user.delete_question(second.id)


def test_ids_are_never_reused(people):
    """The newest question deleted, the next one (anyone's) gets a new id; its thread too."""
    mine = ask(people.user, attachments=[("shot.png", PNG)])
    detail = people.user.comment(mine.id, "Деталь.")
    people.user.delete_question(mine.id)  # the newest question, comment and attachment in the desk
    theirs = ask(people.stranger, attachments=[("shot.png", PNG)])
    their_detail = people.stranger.comment(theirs.id, "Другая деталь.")
    assert theirs.id > mine.id
    assert theirs.attachments[0].id > mine.attachments[0].id
    assert their_detail.id > detail.id
    with pytest.raises(NotFound):
        people.user.get_question(mine.id)
    again = ask(people.user, title="Снова", body="Снова.")
    assert again.id > theirs.id


def test_comment_follow_up_rate_close(people):
    question = ask(people.user)
    comment = people.user.comment(question.id, "Деталь.")
    assert (comment.kind, comment.role) == ("comment", "user")
    people.agent.agent_take()
    answered = people.agent.agent_answer(question.id, "Ответ.")
    assert answered.status == "answered" and answered.answer.body == "Ответ."
    people.user.comment(question.id, "Не помогло.")
    assert people.user.get_question(question.id).status == "waiting"
    people.agent.agent_take()
    people.agent.agent_answer(question.id, "Второй ответ.")
    rated = people.user.rate(question.id, "good", "Спасибо")
    assert (rated.status, rated.rating) == ("closed", "good")
    with pytest.raises(Conflict):
        people.user.rate(question.id, "bad")
    other = ask(people.user, title="Ещё", body="Ещё.")
    assert people.user.close_question(other.id).status == "closed"


def test_idempotent_comment(people):
    question = ask(people.user)
    first = people.user.comment(question.id, "Один раз.", idempotency_key="c-key")
    again = people.user.comment(question.id, "Один раз.", idempotency_key="c-key")
    assert first.id == again.id
    assert len(people.user.get_question(question.id).comments) == 1


def test_an_idempotency_key_answers_only_for_its_own_request(people):
    question = ask(people.user)
    people.user.comment(question.id, "Один раз.", idempotency_key="bound-key")
    with pytest.raises(IdempotencyMismatch) as refused:
        people.user.comment(question.id, "Другой текст.", idempotency_key="bound-key")
    assert refused.value.details["question_id"] == question.id
    with pytest.raises(IdempotencyMismatch):
        people.user.ask(topic="account", title="Т", body="Б", idempotency_key="bound-key")
    assert [c.body for c in people.user.get_question(question.id).comments] == ["Один раз."]


def test_an_ads_question_takes_an_advertising_topic(people):
    with pytest.raises(BadInput, match="ads-business"):
        ask(people.user, kind="ads")  # "hacked-page" is not about advertising
    assert people.user.list_questions().questions == []
    assert ask(people.user, kind="ads", topic="ad-account-moderation").kind == "ads"


def test_strangers_see_nothing(people):
    question = ask(people.user)
    for attempt in (
        lambda: people.stranger.get_question(question.id),
        lambda: people.stranger.edit_question(question.id, title="x"),
        lambda: people.stranger.delete_question(question.id),
        lambda: people.stranger.comment(question.id, "x"),
        lambda: people.stranger.rate(question.id, "bad"),
        lambda: people.stranger.close_question(question.id),
        lambda: people.stranger.attach(question.id, "a.png", PNG),
        lambda: people.stranger.attachment_content(question.id, 1),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert people.stranger.list_questions().questions == []


def test_bad_input_is_the_same_error(people):
    for attempt in (
        lambda: ask(people.user, title="  "),
        lambda: ask(people.user, topic="forgot-password"),
        lambda: ask(people.user, attachments=[("x.exe", b"MZ")]),
        lambda: people.user.list_questions(status="pending"),
    ):
        with pytest.raises(BadInput):
            attempt()


# -- the agent's side ---------------------------------------------------------------


def test_queue_take_answer(people, operator):
    assert people.agent.agent_take() is None
    plain = ask(people.user)
    advertiser = operator.add_user(f"shop-{next(_names)}")[0]
    ads = operator.ask(
        advertiser, topic="ads-business", title="Реклама", body="Не проходит.", kind="ads"
    ).question
    assert [q.id for q in people.agent.agent_queue()] == [ads.id, plain.id]
    with pytest.raises(Conflict):
        people.agent.agent_answer(plain.id, "Рано.")
    assert people.agent.agent_take().id == ads.id
    assert people.agent.agent_take().id == plain.id
    assert people.agent.agent_take() is None


def test_wait_for_change_returns_the_changed_question_or_nothing(kind, people, operator):
    question = ask(people.user)
    # On two nodes the calls alternate between a client for each: each reads the question once.
    for _node in range(2 if kind == "pg-nodes" else 1):
        assert people.user.get_question(question.id) == question
    # Every desk pushes: a sandbox in a file, a server on SQLite, nodes on PostgreSQL (LISTEN/NOTIFY).
    assert people.user.offers_push()
    assert people.user.wait_for_change(question.id, 1) is None  # a second of nothing
    assert people.agent.agent_take().id == question.id
    taken = people.user.wait_for_change(question.id, 30)
    assert taken is not None and (taken.status, taken.agent) == ("in_progress", people.agent.me().name)
    people.agent.agent_answer(question.id, "Ответ.")
    answered = people.user.wait_for_change(question.id, 30)
    assert answered is not None and answered.comments[-1].body == "Ответ."
    people.user.close_question(question.id)
    assert people.user.wait_for_change(question.id, 30).status == "closed"


def test_users_cannot_act_as_agents(people):
    with pytest.raises(NotAllowed):
        people.user.agent_take()
    with pytest.raises(NotAllowed):
        people.user.agent_queue()


def test_not_accepting(people, operator):
    operator.set_accepting(False)
    with pytest.raises(NotAccepting):
        ask(people.user)
    assert people.user.list_questions().questions == []


def test_both_adapters_give_the_same_records(operator, shared_db, server, servers):
    """Same question read through both adapters (and every node): equal records, field for field."""
    account, token = operator.add_user(f"twin-{next(_names)}")
    local = LocalClient(Desk.open(shared_db), user=account.name)
    question = ask(local, attachments=[("a.png", PNG)])
    local.comment(question.id, "Коммент")
    for node in [server, *servers]:
        over_http = HttpClient(node.url, token)
        assert over_http.get_question(question.id) == local.get_question(question.id)
        assert over_http.list_questions() == local.list_questions()
        assert over_http.search_help("пароль") == local.search_help("пароль")
        over_http.close()
    local.close()


def test_a_bad_token_is_not_signed_in(server):
    client = HttpClient(server.url, "vks_not-a-real-token")
    with pytest.raises(NotSignedIn):
        client.list_questions()
    assert client.search_help("пароль")  # the help centre needs no account


# -- refusals that give the true reason (issue 17) ---------------------------------


def _answered(people, **fields):
    question = ask(people.user, **fields)
    people.agent.agent_take()
    people.agent.agent_answer(question.id, "Смените пароль.")
    return question


def test_editing_a_question_you_closed_says_it_is_closed(people):
    question = ask(people.user)
    people.user.close_question(question.id)
    for attempt in (
        lambda: people.user.edit_question(question.id, title="Новый"),
        lambda: people.user.delete_question(question.id),
    ):
        with pytest.raises(NotEditable) as refused:
            attempt()
        assert refused.value.details.get("reason") == "closed"
        assert "closed" in refused.value.message and "agent" not in refused.value.message


def test_editing_a_taken_question_still_says_an_agent_took_it(people):
    question = ask(people.user)
    people.agent.agent_take()
    with pytest.raises(NotEditable) as refused:
        people.user.edit_question(question.id, title="Новый")
    assert refused.value.details.get("reason") == "taken"
    assert "an agent has taken it" in refused.value.message


def test_an_answered_question_closed_later_is_refused_as_closed(people):
    question = _answered(people)
    people.user.close_question(question.id)
    with pytest.raises(NotEditable) as refused:
        people.user.edit_question(question.id, title="Новый")
    assert refused.value.details.get("reason") == "closed"


def test_rating_an_answer_your_follow_up_reopened_says_so(people):
    question = _answered(people)
    people.user.comment(question.id, "Не помогло: пароль опять сменили.")
    with pytest.raises(Conflict) as refused:
        people.user.rate(question.id, "good")
    assert refused.value.details.get("reason") == "reopened"
    message = refused.value.message
    assert "follow-up" in message and "no answer" not in message, message
    people.agent.agent_take()
    with pytest.raises(Conflict) as in_progress:  # an agent is on the follow-up: still the same reason
        people.user.rate(question.id, "good")
    assert in_progress.value.details.get("reason") == "reopened"
    people.agent.agent_answer(question.id, "Включите подтверждение входа.")
    assert people.user.rate(question.id, "good").status == "closed"


def test_rating_a_question_never_answered_still_says_no_answer_yet(people):
    question = ask(people.user)
    with pytest.raises(Conflict) as refused:
        people.user.rate(question.id, "good")
    assert refused.value.details.get("reason") == "no_answer"
    assert "no answer" in refused.value.message
