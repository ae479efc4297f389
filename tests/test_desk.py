"""The desk's rules (DESIGN.md, "The desk's rules"), one test per rule or so."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from vksupport_cli.desk import db, idempotency, records, service
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

from conftest import ask

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


# -- asking ----------------------------------------------------------------


def test_ask_puts_a_waiting_unprocessed_question_in_the_queue(desk, user, clock):
    question = ask(desk, user, link="vk.com/id1")
    assert question.status == "waiting"
    assert question.unprocessed
    assert question.author == "alice"
    assert question.link == "https://vk.com/id1"
    assert question.created_at == "2026-11-26T12:00:00.000Z"
    assert question.expected_answer_by == "2026-11-27T12:00:00.000Z"
    assert question.taken_at is None and question.answered_at is None


def test_one_open_question_per_user(desk, user, agent):
    first = ask(desk, user)
    with pytest.raises(OpenQuestionExists) as refused:
        ask(desk, user, title="Другой вопрос", body="Совсем о другом.")
    assert refused.value.question_id == first.id
    desk.take(agent)
    with pytest.raises(OpenQuestionExists):  # in progress still counts as open
        ask(desk, user, title="Другой вопрос", body="Совсем о другом.")
    desk.answer(agent, first.id, "Восстановите доступ по ссылке.")
    second = ask(desk, user, title="Другой вопрос", body="Совсем о другом.")
    assert second.status == "waiting"


def test_other_users_are_not_blocked_by_my_open_question(desk, user):
    ask(desk, user)
    bob = desk.ensure_user("bob")
    assert ask(desk, bob).author == "bob"


def test_the_database_itself_refuses_a_second_open_question(desk, user):
    ask(desk, user)
    with pytest.raises(sqlite3.IntegrityError):
        desk.conn.execute(
            "INSERT INTO questions (user_id, kind, topic, title, body, status, created_at,"
            " updated_at, queued_at) VALUES (?, 'standard', 'account', 't', 'b', 'waiting',"
            " 'x', 'x', 'x')",
            (user.id,),
        )


@pytest.mark.parametrize("topic", ["hacked-page", "account", "support-desk"])
def test_topic_is_an_askable_article_or_a_category(desk, user, topic):
    assert ask(desk, user, topic=topic).topic == topic


@pytest.mark.parametrize("topic", ["forgot-password", "no-such-thing", "", "   "])
def test_topic_must_let_the_user_write_to_support(desk, user, topic):
    with pytest.raises(BadInput):
        ask(desk, user, topic=topic)


@pytest.mark.parametrize(
    "fields",
    [
        {"title": ""},
        {"title": "   \n\t"},
        {"body": ""},
        {"body": " \n "},
        {"title": "x" * (service.TITLE_MAX + 1)},
        {"body": "x" * (service.BODY_MAX + 1)},
        {"link": "javascript:alert(1)"},
        {"link": "ftp://vk.com/file"},
        {"link": "https://vk.com/a b"},
        {"kind": "urgent"},
    ],
)
def test_ask_refuses_bad_fields(desk, user, fields):
    with pytest.raises(BadInput):
        ask(desk, user, **fields)
    assert desk.list_questions(user).questions == []


def test_ask_strips_control_characters_and_folds_the_summary(desk, user):
    question = ask(desk, user, title="  Взлом\x00   страницы\x1b ", body="строка\r\nещё\x07")
    assert question.title == "Взлом страницы"
    assert question.body == "строка\nещё"


def test_limits_are_inclusive(desk, user):
    question = ask(desk, user, title="я" * service.TITLE_MAX, body="ы" * service.BODY_MAX)
    assert len(question.title) == service.TITLE_MAX


def test_not_accepting_refuses_asks_and_nothing_else(desk, user, agent):
    question = ask(desk, user)
    desk.set_accepting(False)
    assert not desk.accepting()
    desk.comment(user, question.id, "Ещё деталь.")
    desk.take(agent)
    desk.answer(agent, question.id, "Ответ.")
    with pytest.raises(NotAccepting):
        ask(desk, user, title="Новый", body="Новый вопрос.")
    desk.set_accepting(True)
    assert ask(desk, user, title="Новый", body="Новый вопрос.").status == "waiting"


def test_a_repeated_question_points_to_the_earlier_one(desk, user, agent):
    first = ask(desk, user)
    desk.take(agent)
    desk.answer(agent, first.id, "Ответ.")
    result = desk.ask(
        user,
        topic="hacked-page",
        title="Мою страницу взломали!",
        body="Вчера кто-то сменил пароль и пишет моим друзьям.",
    )
    assert result.repeats == first.id
    other = desk.ensure_user("carol")
    fresh = desk.ask(other, topic="account", title="Как сменить имя", body="Не меняется имя.")
    assert fresh.repeats is None


def test_idempotent_ask_returns_the_first_question_and_never_conflicts(desk, user):
    first = desk.ask(user, topic="account", title="Вопрос", body="Текст", idempotency_key="k1")
    again = desk.ask(user, topic="account", title="Вопрос", body="Текст", idempotency_key="k1")
    assert again.question.id == first.question.id
    assert len(desk.list_questions(user).questions) == 1
    bob = desk.ensure_user("bob")  # keys are per user
    assert (
        desk.ask(bob, topic="account", title="В", body="Т", idempotency_key="k1").question.id
        != first.question.id
    )


def test_idempotency_key_is_bounded(desk, user):
    with pytest.raises(BadInput):
        ask(desk, user, idempotency_key="x" * 201)


def test_expected_answer_time_grows_under_load(desk, user, monkeypatch):
    monkeypatch.setattr(records, "LOAD_THRESHOLD", 2)
    for n in range(3):
        ask(desk, desk.ensure_user(f"u{n}"))
    question = ask(desk, user)
    assert question.expected_answer_by == "2026-12-01T12:00:00.000Z"


# -- editing and deleting ---------------------------------------------------


def test_edit_while_unprocessed(desk, user, clock):
    question = ask(desk, user, link="https://vk.com/id1")
    clock.advance(minutes=5)
    edited = desk.edit_question(user, question.id, title="Новое", body="Новый текст", clear_link=True)
    assert (edited.title, edited.body, edited.link) == ("Новое", "Новый текст", None)
    assert edited.updated_at == "2026-11-26T12:05:00.000Z"
    with pytest.raises(BadInput):
        desk.edit_question(user, question.id)


def test_no_edit_or_delete_once_an_agent_took_it(desk, user, agent):
    question = ask(desk, user)
    desk.take(agent)
    with pytest.raises(NotEditable):
        desk.edit_question(user, question.id, title="Поздно")
    with pytest.raises(NotEditable):
        desk.delete_question(user, question.id)
    desk.answer(agent, question.id, "Ответ.")
    desk.comment(user, question.id, "Не помогло.")  # back in the queue, but taken once
    reopened = desk.get_question(user, question.id)
    assert reopened.status == "waiting" and not reopened.unprocessed
    with pytest.raises(NotEditable):
        desk.delete_question(user, question.id)


def test_delete_removes_the_question_for_good(desk, user):
    question = ask(desk, user, attachments=[("shot.png", PNG)])
    desk.comment(user, question.id, "Деталь.")
    desk.delete_question(user, question.id)
    with pytest.raises(NotFound):
        desk.get_question(user, question.id)
    assert desk.conn.execute("SELECT count(*) FROM comments").fetchone()[0] == 0
    assert desk.conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0
    assert ask(desk, user).status == "waiting"  # no longer open


def test_closed_but_never_taken_is_not_editable(desk, user):
    question = ask(desk, user)
    desk.close_question(user, question.id)
    with pytest.raises(NotEditable):
        desk.edit_question(user, question.id, title="x")


# -- comments and follow-ups -------------------------------------------------


def test_comment_adds_details_without_changing_status(desk, user, agent):
    question = ask(desk, user)
    comment = desk.comment(user, question.id, "Забыл сказать: почта тоже.")
    assert (comment.kind, comment.role, comment.author) == ("comment", "user", "alice")
    desk.take(agent)
    desk.comment(user, question.id, "И ещё.")
    thread = desk.get_question(user, question.id)
    assert thread.status == "in_progress"
    assert [c.body for c in thread.comments] == ["Забыл сказать: почта тоже.", "И ещё."]


def test_follow_up_on_an_answer_reopens_the_question(desk, user, agent, clock):
    question = ask(desk, user)
    desk.take(agent)
    clock.advance(hours=2)
    desk.answer(agent, question.id, "Сбросьте пароль.")
    clock.advance(hours=1)
    desk.comment(user, question.id, "Не помогло.")
    reopened = desk.get_question(user, question.id)
    assert reopened.status == "waiting"
    assert reopened.agent is None
    assert reopened.queued_at == "2026-11-26T15:00:00.000Z"
    assert reopened.taken_at == "2026-11-26T12:00:00.000Z"  # first take is kept
    assert reopened.expected_answer_by == "2026-11-27T15:00:00.000Z"
    with pytest.raises(OpenQuestionExists):  # it counts as open again
        ask(desk, user, title="Другое", body="Другое.")


def test_follow_up_is_refused_while_another_question_is_open(desk, user, agent):
    first = ask(desk, user)
    desk.take(agent)
    desk.answer(agent, first.id, "Ответ.")
    second = ask(desk, user, title="Второй", body="Второй вопрос.")
    with pytest.raises(OpenQuestionExists) as refused:
        desk.comment(user, first.id, "Не помогло.")
    assert refused.value.question_id == second.id
    assert desk.get_question(user, first.id).status == "answered"
    assert desk.get_question(user, first.id).comments[-1].kind == "answer"


def test_comment_on_a_closed_question_is_refused(desk, user):
    question = ask(desk, user)
    desk.close_question(user, question.id)
    with pytest.raises(Conflict):
        desk.comment(user, question.id, "Ещё.")


def test_idempotent_comment(desk, user):
    question = ask(desk, user)
    first = desk.comment(user, question.id, "Деталь.", idempotency_key="c1")
    again = desk.comment(user, question.id, "Деталь.", idempotency_key="c1")
    assert first.id == again.id
    assert len(desk.get_question(user, question.id).comments) == 1
    with pytest.raises(IdempotencyMismatch):  # a key belongs to one kind of request
        ask(desk, user, idempotency_key="c1")


def test_a_comment_key_replayed_on_another_question_is_refused(desk, user, agent):
    """The attack of issue 12: K on question A, then K on question B answered with A's comment."""
    first = ask(desk, user)
    made = desk.comment(user, first.id, "К первому.", idempotency_key="K")
    desk.take(agent)
    desk.answer(agent, first.id, "Ответ.")
    desk.close_question(user, first.id)
    second = ask(desk, user, title="Второй", body="Совсем другое.")
    with pytest.raises(IdempotencyMismatch) as refused:
        desk.comment(user, second.id, "К первому.", idempotency_key="K")
    assert refused.value.details["question_id"] == first.id
    assert desk.get_question(user, second.id).comments == []
    assert [c.id for c in desk.get_question(user, first.id).comments if c.kind == "comment"] == [made.id]


def test_a_comment_key_replayed_with_another_text_is_refused(desk, user):
    question = ask(desk, user)
    made = desk.comment(user, question.id, "Первый текст.", idempotency_key="K")
    with pytest.raises(IdempotencyMismatch):
        desk.comment(user, question.id, "Другой текст.", idempotency_key="K")
    assert desk.comment(user, question.id, "  Первый текст.\r\n", idempotency_key="K").id == made.id
    assert [c.body for c in desk.get_question(user, question.id).comments] == ["Первый текст."]


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Другой заголовок"},
        {"body": "Другое описание."},
        {"topic": "account"},
        {"link": "vk.com/id2"},
        {"attachments": [("shot.png", PNG + b"\x01")]},
        {"attachments": [("other.png", PNG)]},
        {"attachments": []},
    ],
    ids=lambda change: next(iter(change)) + ("" if change.get("attachments", 1) else "-none"),
)
def test_an_ask_key_replayed_with_another_request_is_refused(desk, user, change):
    fields = {"link": "vk.com/id1", "attachments": [("shot.png", PNG)]}
    first = ask(desk, user, idempotency_key="K", **fields)
    with pytest.raises(IdempotencyMismatch) as refused:
        ask(desk, user, idempotency_key="K", **{**fields, **change})
    assert refused.value.details["question_id"] == first.id
    assert "another" in str(refused.value)
    assert [q.id for q in desk.list_questions(user).questions] == [first.id]
    # The very same request, however often, is the first question.
    assert ask(desk, user, idempotency_key="K", **fields).id == first.id


def test_idempotency_keys_expire_after_the_documented_time(desk, user, clock):
    first = ask(desk, user, idempotency_key="K")
    desk.close_question(user, first.id)
    clock.advance(hours=23, minutes=59)
    with pytest.raises(IdempotencyMismatch):
        ask(desk, user, idempotency_key="K", title="Новый", body="Новый вопрос.")
    clock.advance(minutes=2)  # past idempotency.KEY_TTL: the key is free again
    assert idempotency.KEY_TTL.total_seconds() == 24 * 3600
    second = ask(desk, user, idempotency_key="K", title="Новый", body="Новый вопрос.")
    assert second.id != first.id
    comment = desk.comment(user, second.id, "Деталь.", idempotency_key="C")
    clock.advance(hours=25)
    again = desk.comment(user, second.id, "Другая деталь.", idempotency_key="C")
    assert again.id != comment.id
    # Expired keys are dropped from the table, not kept for ever.
    keys = desk.conn.execute("SELECT key FROM idempotency_keys ORDER BY key").fetchall()
    assert [row[0] for row in keys] == ["C"]


# -- agents -----------------------------------------------------------------


def test_take_records_the_agent_and_time(desk, user, agent, clock):
    question = ask(desk, user)
    clock.advance(minutes=30)
    taken = desk.take(agent)
    assert taken.id == question.id
    assert (taken.status, taken.agent, taken.taken_at) == (
        "in_progress",
        "agent-smith",
        "2026-11-26T12:30:00.000Z",
    )
    assert desk.take(agent) is None


def test_take_serves_advertisers_first(desk, agent):
    for n in range(5):
        ask(desk, desk.ensure_user(f"u{n}"))
    ads = ask(desk, desk.ensure_user("shop"), kind="ads", topic="ads-business")
    assert desk.queue(agent)[0].id == ads.id
    assert desk.take(agent).id == ads.id


def test_an_ads_question_takes_an_advertising_topic(desk):
    shop = desk.ensure_user("shop")
    for topic in ("hacked-page", "account", "payments"):
        with pytest.raises(BadInput, match="ads-business"):
            ask(desk, shop, kind="ads", topic=topic)
    assert desk.conn.execute("SELECT count(*) FROM questions").fetchone()[0] == 0
    advertising = [t.slug for t in desk.topics() if t.category == "ads-business"]
    assert set(advertising) == {
        "advertiser-support-form",
        "ad-account-moderation",
        "ad-payment-problems",
        "ads-business",
    }
    for number, topic in enumerate(advertising):
        asked = ask(desk, desk.ensure_user(f"shop-{number}"), kind="ads", topic=topic)
        assert (asked.kind, asked.topic) == ("ads", topic)
    assert ask(desk, shop, topic="ad-payment-problems").kind == "standard"  # anyone may ask about ads


def test_take_picks_at_random(desk, agent):
    asked = {ask(desk, desk.ensure_user(f"u{n}")).id for n in range(6)}
    firsts = set()
    for _ in range(40):
        firsts.add(desk.take(agent).id)
        # put it back as it was, so every draw is from the same queue
        desk.conn.execute("UPDATE questions SET status = 'waiting', agent_id = NULL, taken_at = NULL")
    assert firsts <= asked and len(firsts) > 1


def test_only_agents_use_the_queue(desk, user):
    for call in (lambda: desk.take(user), lambda: desk.queue(user), lambda: desk.answer(user, 1, "x")):
        with pytest.raises(NotAllowed):
            call()


def test_answer_needs_the_question_taken_by_this_agent(desk, user, agent):
    question = ask(desk, user)
    with pytest.raises(Conflict):
        desk.answer(agent, question.id, "Ответ.")
    other = desk.ensure_user("agent-jones", "agent")
    desk.take(other)
    with pytest.raises(Conflict):
        desk.answer(agent, question.id, "Ответ.")
    answered = desk.answer(other, question.id, "Ответ.")
    assert answered.status == "answered"
    assert answered.answer.body == "Ответ." and answered.answer.role == "agent"


def test_agents_see_every_question_but_do_not_author_them(desk, user, agent):
    question = ask(desk, user)
    assert desk.get_question(agent, question.id).id == question.id
    with pytest.raises(NotFound):
        desk.comment(agent, question.id, "?")


# -- rating and closing ------------------------------------------------------


def answered_question(desk, user, agent):
    question = ask(desk, user)
    desk.take(agent)
    desk.answer(agent, question.id, "Ответ.")
    return question


def test_rating_ends_the_question(desk, user, agent):
    question = answered_question(desk, user, agent)
    rated = desk.rate(user, question.id, "bad", "Агент не понял вопроса")
    assert (rated.status, rated.rating, rated.rating_comment) == ("closed", "bad", "Агент не понял вопроса")
    assert rated.closed_at and rated.rated_at
    with pytest.raises(Conflict):
        desk.rate(user, question.id, "good")


def test_cannot_rate_without_an_answer(desk, user):
    question = ask(desk, user)
    with pytest.raises(Conflict):
        desk.rate(user, question.id, "good")


def test_rating_must_be_good_or_bad(desk, user, agent):
    question = answered_question(desk, user, agent)
    with pytest.raises(BadInput):
        desk.rate(user, question.id, "meh")


def test_a_closed_answered_question_can_still_be_rated(desk, user, agent):
    question = answered_question(desk, user, agent)
    desk.close_question(user, question.id)
    assert desk.rate(user, question.id, "good").rating == "good"


def test_history_keeps_answered_and_closed_questions(desk, user, agent):
    first = answered_question(desk, user, agent)
    desk.rate(user, first.id, "good")
    second = answered_question(desk, user, agent)
    statuses = {q.id: q.status for q in desk.list_questions(user).questions}
    assert statuses == {first.id: "closed", second.id: "answered"}


# -- visibility ------------------------------------------------------------


def test_nobody_sees_or_touches_another_users_question(desk, user, agent):
    question = answered_question(desk, user, agent)
    mallory = desk.ensure_user("mallory")
    attempts = [
        lambda: desk.get_question(mallory, question.id),
        lambda: desk.edit_question(mallory, question.id, title="x"),
        lambda: desk.delete_question(mallory, question.id),
        lambda: desk.comment(mallory, question.id, "x"),
        lambda: desk.rate(mallory, question.id, "bad"),
        lambda: desk.close_question(mallory, question.id),
        lambda: desk.attach(mallory, question.id, "a.png", PNG),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    assert desk.list_questions(mallory).questions == []
    assert desk.get_question(user, question.id).status == "answered"


@pytest.mark.parametrize("bad_id", [0, -1, 2**63, 10**30, True])
def test_impossible_ids_are_not_found(desk, user, bad_id):
    with pytest.raises(NotFound):
        desk.get_question(user, bad_id)


# -- listing ---------------------------------------------------------------


def test_list_newest_first_with_filters_and_cursor(desk, user, agent):
    ids = []
    for n in range(5):
        question = ask(desk, user, title=f"Вопрос {n}", body=f"Текст {n} " + "абв" * n)
        ids.append(question.id)
        desk.take(agent)
        desk.answer(agent, question.id, "Ответ.")
    ask(desk, user, title="Открытый", body="Ждёт ответа.")
    page = desk.list_questions(user, limit=2)
    assert [q.id for q in page.questions] == [ids[-1] + 1, ids[-1]]
    rest = desk.list_questions(user, limit=10, cursor=page.next_cursor)
    assert [q.id for q in rest.questions] == ids[-2::-1]
    assert rest.next_cursor is None
    assert [q.status for q in desk.list_questions(user, status="open").questions] == ["waiting"]
    assert len(desk.list_questions(user, status="answered").questions) == 5
    assert desk.list_questions(user, status="closed").questions == []


@pytest.mark.parametrize(
    "kwargs", [{"status": "pending"}, {"limit": 0}, {"limit": 10**6}, {"cursor": "abc"}, {"cursor": "-1"}]
)
def test_list_refuses_bad_arguments(desk, user, kwargs):
    with pytest.raises(BadInput):
        desk.list_questions(user, **kwargs)


# -- attachments -----------------------------------------------------------


def test_attachments_are_sniffed_named_safely_and_kept(desk, user):
    question = ask(desk, user, attachments=[("../../etc/passwd.png", PNG), ("log.txt", "ошибка".encode())])
    assert [(a.filename, a.content_type) for a in question.attachments] == [
        ("passwd.png", "image/png"),
        ("log.txt", "text/plain"),
    ]
    meta, content = desk.attachment_content(user, question.id, question.attachments[0].id)
    assert content == PNG and meta.size == len(PNG)
    added = desk.attach(user, question.id, "C:\\Users\\me\\scan.pdf", b"%PDF-1.7 ...\nstartxref\n9\n%%EOF")
    assert (added.filename, added.content_type) == ("scan.pdf", "application/pdf")


@pytest.mark.parametrize(
    "name, content",
    [
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * service.ATTACHMENT_MAX_BYTES),
        ("empty.png", b""),
        ("virus.exe", b"MZ\x90\x00"),
        ("fake.png", b"<html>not a picture</html>"),
        ("binary.txt", b"\xff\xfe\x00bad"),
        ("..", PNG),
        ("", PNG),
    ],
)
def test_refused_attachments(desk, user, name, content):
    with pytest.raises(BadInput):
        ask(desk, user, attachments=[(name, content)])
    assert desk.list_questions(user).questions == []


def test_attachment_count_is_bounded(desk, user):
    question = ask(desk, user)
    for n in range(service.ATTACHMENTS_MAX):
        desk.attach(user, question.id, f"{n}.png", PNG)
    with pytest.raises(BadInput):
        desk.attach(user, question.id, "one-more.png", PNG)


# -- accounts --------------------------------------------------------------


def test_tokens_are_stored_hashed_and_identify_the_user(desk):
    bob, token = desk.add_user("bob")
    assert desk.user_by_token(token) == bob
    stored = desk.conn.execute("SELECT token_hash FROM users WHERE id = ?", (bob.id,)).fetchone()[0]
    assert token not in stored
    with pytest.raises(NotSignedIn):
        desk.user_by_token(token + "x")
    with pytest.raises(NotSignedIn):
        desk.user_by_token("")
    with pytest.raises(Conflict):
        desk.add_user("bob")


# -- storage ---------------------------------------------------------------


def test_schema_is_versioned_and_migrations_are_idempotent(db_path):
    conn = db.connect(db_path)
    assert db.schema_version(conn) == db.SCHEMA_VERSION
    assert db.migrate(conn) == db.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_ids_are_never_reused_after_the_newest_is_deleted(desk, user, db_path):
    first = ask(desk, user, attachments=[("a.png", PNG)])
    comment = desk.comment(user, first.id, "Деталь")
    desk.delete_question(user, first.id)
    second = ask(desk, user, attachments=[("a.png", PNG)])
    assert second.id == first.id + 1
    assert second.attachments[0].id == first.attachments[0].id + 1
    assert desk.comment(user, second.id, "Деталь").id == comment.id + 1
    desk.delete_question(user, second.id)
    reopened = Desk.open(db_path)  # the highest id is kept in the file, not in a process
    try:
        assert ask(reopened, user, title="Третий", body="Третий").id == second.id + 1
    finally:
        reopened.close()


def _schema_v1(path) -> sqlite3.Connection:
    """A database as the first schema made it (the migration under test starts from here)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for statement in db._statements(db.MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    return conn


def test_migration_keeps_every_row_and_ids_are_never_reused_after_it(tmp_path, clock):
    path = tmp_path / "old.sqlite3"
    old = _schema_v1(path)
    t = "2026-11-01T10:00:00.000Z"
    old.executemany(
        "INSERT INTO users (id, name, role, created_at) VALUES (?, ?, ?, ?)",
        [(1, "alice", "user", t), (2, "bob", "user", t), (3, "agent-smith", "agent", t)],
    )
    old.executemany(
        "INSERT INTO questions (id, user_id, kind, topic, title, body, status, agent_id, created_at,"
        " updated_at, queued_at, taken_at, answered_at) VALUES (?, ?, 'standard', 'account', ?, ?, ?, ?,"
        " ?, ?, ?, ?, ?)",
        [
            (1, 1, "Старый", "Отвеченный", "answered", 3, t, t, t, t, t),
            (2, 2, "Ждёт", "Ждущий", "waiting", None, t, t, t, None, None),
            (3, 1, "Третий", "Удалят", "closed", None, t, t, t, None, None),
        ],
    )
    old.executemany(
        "INSERT INTO comments (id, question_id, author_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(1, 1, 1, "comment", "Деталь", t), (2, 1, 3, "answer", "Ответ", t), (3, 2, 2, "comment", "Моё", t)],
    )
    old.execute(
        "INSERT INTO attachments (id, question_id, filename, content_type, size, sha256, content, created_at)"
        " VALUES (1, 2, 'a.png', 'image/png', ?, 'x', ?, ?)",
        (len(PNG), PNG, t),
    )
    # A key whose question (id 5) is gone: the newest id this database ever gave out.
    old.execute(
        "INSERT INTO idempotency_keys (user_id, key, resource, resource_id, created_at)"
        " VALUES (2, 'k', 'question', 5, ?)",
        (t,),
    )
    # A comment key from an hour ago (schema 1 kept neither its question nor a fingerprint).
    old.execute(
        "INSERT INTO idempotency_keys (user_id, key, resource, resource_id, created_at)"
        " VALUES (1, 'kc', 'comment', 1, '2026-11-26T11:00:00.000Z')"
    )
    old.execute("DELETE FROM questions WHERE id = 3")
    old.close()

    desk = Desk.open(path, clock=clock)
    conn = desk.conn
    assert db.schema_version(conn) == db.SCHEMA_VERSION
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert [tuple(r) for r in conn.execute("SELECT id, user_id, status FROM questions ORDER BY id")] == [
        (1, 1, "answered"),
        (2, 2, "waiting"),
    ]
    assert [tuple(r) for r in conn.execute("SELECT id, question_id, body FROM comments ORDER BY id")] == [
        (1, 1, "Деталь"),
        (2, 1, "Ответ"),
        (3, 2, "Моё"),
    ]
    alice, bob = desk.ensure_user("alice"), desk.ensure_user("bob")
    _, content = desk.attachment_content(bob, 2, 1)
    assert content == PNG
    with pytest.raises(OpenQuestionExists):  # the one-open-question index came through
        ask(desk, bob)
    # The next ids follow the highest ever seen, not the highest left.
    mine = ask(desk, alice, attachments=[("b.png", PNG)])
    assert mine.id == 6
    assert mine.attachments[0].id == 2
    desk.delete_question(alice, mine.id)
    again = ask(desk, alice, title="Снова", body="Снова")
    assert again.id == 7
    assert desk.comment(alice, again.id, "ещё").id == 4
    # The old comment key now knows its question: a replay there is the old comment, elsewhere refused.
    assert desk.comment(alice, 1, "Деталь", idempotency_key="kc").id == 1
    with pytest.raises(IdempotencyMismatch) as refused:
        desk.comment(alice, again.id, "Деталь", idempotency_key="kc")
    assert refused.value.details["question_id"] == 1
    desk.delete_question(bob, 2)  # cascades still work: its comment and attachment go with it
    assert conn.execute("SELECT count(*) FROM comments WHERE question_id = 2").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0
    assert ask(desk, bob).id == 8
    desk.close()


def test_a_newer_schema_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "new.sqlite3")
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError):
        db.connect(tmp_path / "new.sqlite3")


def test_concurrent_asks_from_several_processes_create_exactly_one_question(db_path):
    """Eight processes, one user, one database file, released at the same instant."""
    script = textwrap.dedent(
        """
        import sys, time
        from vksupport_cli.desk.service import Desk
        from vksupport_cli.errors import OpenQuestionExists
        desk = Desk.open(sys.argv[1])
        user = desk.ensure_user("racer")
        start = float(sys.argv[2])
        while time.time() < start:
            pass
        try:
            desk.ask(user, topic="account", title="Гонка", body="Кто первый?")
            print("created")
        except OpenQuestionExists:
            print("conflict")
        """
    )
    import time

    start = time.time() + 2.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(db_path), str(start)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    outcomes = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outcomes == ["conflict"] * 7 + ["created"]
    desk = Desk.open(db_path)
    racer = desk.ensure_user("racer")
    assert len(desk.list_questions(racer).questions) == 1
