"""Hostile input straight at the desk: injection, search syntax, path traversal, limits.

Every call here must either do its job with the text stored verbatim (where
text is allowed) or refuse with one of the desk's own errors (``BadInput``,
``NotFound``, ...), never anything else, and leave the database whole.

Desk bugs these tests found are fixed; their tests stay, at the end, as regression tests.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vksupport_cli.desk import service
from vksupport_cli.desk.models import SearchHit
from vksupport_cli.desk.service import Desk
from vksupport_cli.errors import BadInput, IdempotencyMismatch, NotFound, NotSignedIn

from conftest import ask

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

#: Single-line, single-spaced, so that even a folded summary keeps them verbatim.
INJECTIONS = [
    "'; DROP TABLE questions; --",
    "1 OR 1=1",
    '" OR ""="',
    "' OR '1'='1",
    "Robert'); DROP TABLE users;--",
    "1; DELETE FROM comments WHERE 1=1",
    "' UNION SELECT token_hash, name FROM users --",
    "x' AND (SELECT count(*) FROM sqlite_master) > 0 --",
    "%' OR name LIKE '%",
    "\\'; ATTACH DATABASE '/tmp/pwn.db' AS pwn; --",
    "*/ DROP TABLE attachments /*",
    "$1; SELECT pg_sleep(10)",
]

#: Settings for the property tests here: small, fast and the same on every run.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def snapshot(desk: Desk) -> dict:
    """What must survive any input: the schema, the help centre, the integrity of the file."""
    conn = desk.conn
    return {
        "schema": conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
        ).fetchall(),
        "articles": conn.execute("SELECT count(*) FROM articles").fetchone()[0],
        "version": conn.execute("PRAGMA user_version").fetchone()[0],
    }


def assert_intact(desk: Desk, before: dict) -> None:
    after = snapshot(desk)
    assert [tuple(r) for r in after["schema"]] == [tuple(r) for r in before["schema"]]
    assert after["articles"] == before["articles"]
    assert after["version"] == before["version"]
    assert desk.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert desk.conn.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.fixture
def bystander(desk):
    """Someone else's question, which no input of another user may touch."""
    bob = desk.ensure_user("bob")
    question = ask(desk, bob, title="Чужой вопрос", body="Не трогать.")
    return bob, question


@pytest.fixture(scope="module")
def shared_desk(tmp_path_factory, _template_db):
    """One desk for the read-mostly property tests (each example uses its own user)."""
    path = tmp_path_factory.mktemp("hostile") / "desk.sqlite3"
    source, target = sqlite3.connect(_template_db), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    desk = Desk.open(path)
    yield desk
    desk.close()


# -- SQL injection in every text field --------------------------------------------


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_in_question_fields_is_stored_verbatim(desk, evil, bystander):
    before = snapshot(desk)
    alice = desk.ensure_user("alice")
    agent = desk.ensure_user("agent-smith", "agent")

    question = desk.ask(
        alice,
        topic="hacked-page",
        title=evil,
        body=evil,
        idempotency_key=evil,
        attachments=[(f"{evil}.txt", evil.encode())],
    ).question
    assert (question.title, question.body) == (evil, evil)
    stored = question.attachments[0]
    assert stored.content_type == "text/plain"
    assert "/" not in stored.filename and "\\" not in stored.filename
    assert f"{evil}.txt".replace("\\", "/").endswith(stored.filename)
    assert desk.attachment_content(alice, question.id, stored.id)[1] == evil.encode()

    replay = desk.ask(
        alice,
        topic="hacked-page",
        title=evil,
        body=evil,
        idempotency_key=evil,
        attachments=[(f"{evil}.txt", evil.encode())],
    )
    assert replay.question.id == question.id  # the key is a key, not SQL
    with pytest.raises(IdempotencyMismatch):  # and bound to its request
        desk.ask(alice, topic="hacked-page", title="другое", body="другое", idempotency_key=evil)

    edited = desk.edit_question(alice, question.id, title=evil + "!", body=evil + "?")
    assert (edited.title, edited.body) == (evil + "!", evil + "?")
    assert desk.comment(alice, question.id, evil, idempotency_key=evil + "#c").body == evil
    desk.take(agent)  # bob's and alice's, in either order
    desk.take(agent)
    assert desk.answer(agent, question.id, evil).answer.body == evil
    rated = desk.rate(alice, question.id, "bad", evil)
    assert (rated.rating, rated.rating_comment) == ("bad", evil)

    thread = desk.get_question(alice, question.id)
    assert [c.body for c in thread.comments] == [evil, evil]
    assert_intact(desk, before)
    bob, theirs = bystander
    assert desk.get_question(bob, theirs.id).title == "Чужой вопрос"
    assert [q.id for q in desk.list_questions(alice).questions] == [question.id]


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_where_no_free_text_belongs_is_refused(desk, evil, bystander):
    before = snapshot(desk)
    alice = desk.ensure_user("alice")
    refusals = [
        (BadInput, lambda: ask(desk, alice, topic=evil)),
        (BadInput, lambda: ask(desk, alice, kind=evil)),
        (BadInput, lambda: desk.list_questions(alice, status=evil)),
        (BadInput, lambda: desk.list_questions(alice, cursor=evil)),
        (NotFound, lambda: desk.get_question(alice, evil)),
        (NotFound, lambda: desk.edit_question(alice, evil, title="x")),
        (NotFound, lambda: desk.delete_question(alice, evil)),
        (NotFound, lambda: desk.comment(alice, evil, "x")),
        (NotFound, lambda: desk.close_question(alice, evil)),
        (NotFound, lambda: desk.article(evil)),
        (NotSignedIn, lambda: desk.user_by_token(evil)),
    ]
    for error, attempt in refusals:
        with pytest.raises(error):
            attempt()
    question = ask(desk, alice)
    with pytest.raises(BadInput):
        desk.rate(alice, question.id, evil)
    assert desk.search_help("пароль", category=evil) == []
    assert_intact(desk, before)
    bob, theirs = bystander
    assert desk.get_question(bob, theirs.id).status == "waiting"
    assert desk.conn.execute("SELECT count(*) FROM questions").fetchone()[0] == 2


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_in_user_names_is_stored_verbatim(desk, evil, bystander):
    before = snapshot(desk)
    sandboxed = desk.ensure_user(evil)
    assert sandboxed.name == evil
    assert desk.ensure_user(evil) == sandboxed  # found again by that very name
    added, token = desk.add_user(evil + " (2)")
    assert added.name == evil + " (2)"
    assert desk.user_by_token(token) == added
    assert ask(desk, sandboxed).author == evil
    assert desk.conn.execute("SELECT count(*) FROM users").fetchone()[0] == 3  # bob and these two
    assert_intact(desk, before)
    bob, theirs = bystander
    assert desk.get_question(bob, theirs.id).author == "bob"


@pytest.mark.parametrize(
    "link, stored",
    [
        (
            "https://vk.com/id1';DROP/**/TABLE/**/questions;--",
            "https://vk.com/id1';DROP/**/TABLE/**/questions;--",
        ),
        ('vk.com/id1"OR""="', 'https://vk.com/id1"OR""="'),
        ("https://vk.com/?id=1%20OR%201=1", "https://vk.com/?id=1%20OR%201=1"),
        ("'; DROP TABLE questions; --", None),  # spaces: not a web address
        ("1 OR 1=1", None),
        ("javascript:alert(document.cookie)", None),
        ("https://vk.com/\x00'; DROP TABLE users", None),
    ],
)
def test_injection_in_links(desk, link, stored):
    before = snapshot(desk)
    alice = desk.ensure_user("alice")
    if stored is None:
        with pytest.raises(BadInput):
            ask(desk, alice, link=link)
    else:
        assert ask(desk, alice, link=link).link == stored
    assert_intact(desk, before)


# -- help-centre search ----------------------------------------------------------

#: Queries with words in them: answered (with hits or none), never refused.
SEARCH_QUERIES = [
    "title:пароль",
    "body:взлом OR title:пароль",
    "NEAR(a b)",
    "NEAR(пароль взлом, 2)",
    "a AND OR NOT b",
    "AND",
    "OR OR OR",
    "NOT пароль",
    '"unbalanced',
    'пароль "',
    "пароль*",
    "^start",
    "^пароль",
    "(пароль",
    "пароль)",
    "{title body}: пароль",
    "- пароль",
    "+пароль",
    "пароль:",
    "пароль\x00взлом",
    "\x00\x01\x02\x1b[31m\x7f",  # "31m" is left
    "\ufeffпароль",
    "пароль\udfff",
    "😀 пароль 🔑",
    "שלום עולם",
    "مرحبا كلمة المرور",
    "\u202eлорап",
    "x" * 10_000,
    "пароль " * 2_000,
    "a " * 5_000,
    "' OR 1=1 --",
    "'; DROP TABLE articles; --",
    "search_fts MATCH '*'",
]

#: Queries with no letter or digit: refused, asking for words.
NOTHING_TO_SEARCH = [
    "",
    " ",
    "*",
    "()",
    ":",
    "'",
    '"',
    '""',
    "''",
    "\x00",
    "\r\n\t",
    "\u200b\u200b",
    "\ud800",
    "😀",
    "\U0010ffff",
    "---",
]


@pytest.mark.parametrize("query", SEARCH_QUERIES, ids=lambda q: repr(q[:24]))
def test_search_takes_any_text_with_words(shared_desk, query):
    before = snapshot(shared_desk)
    hits = shared_desk.search_help(query)
    assert isinstance(hits, list) and all(isinstance(h, SearchHit) for h in hits)
    assert len(hits) <= 10
    if "пароль" in query:
        assert hits, query
    assert_intact(shared_desk, before)


def test_search_syntax_is_read_as_words(shared_desk):
    plain = [h.slug for h in shared_desk.search_help("пароль")]
    assert plain
    for dressed in ("пароль*", "^пароль", "(пароль)", '"пароль"', "пароль:", "{пароль}", "+пароль"):
        assert [h.slug for h in shared_desk.search_help(dressed)] == plain, dressed


@pytest.mark.parametrize("query", NOTHING_TO_SEARCH, ids=repr)
def test_search_with_nothing_to_look_for_is_bad_input(shared_desk, query):
    before = snapshot(shared_desk)
    with pytest.raises(BadInput, match="Type a few words"):
        shared_desk.search_help(query)
    assert_intact(shared_desk, before)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": -1},
        {"limit": 101},
        {"limit": True},
        {"limit": "5"},
        {"limit": None},
        {"category": 5},
        {"category": b"x"},
    ],
)
def test_search_refuses_bad_options(shared_desk, kwargs):
    with pytest.raises(BadInput):
        shared_desk.search_help("пароль", **kwargs)


@pytest.mark.parametrize("query", [None, 5, b"\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c", ["пароль"]])
def test_search_refuses_what_is_not_text(shared_desk, query):
    with pytest.raises(BadInput):
        shared_desk.search_help(query)


@FUZZ
@given(query=st.text(max_size=300), category=st.none() | st.sampled_from(["account", "", "x'--"]))
def test_search_never_fails_on_any_text(shared_desk, query, category):
    if not any(ch.isalnum() for ch in query):  # no letter or digit: nothing to search for
        with pytest.raises(BadInput, match="Type a few words"):
            shared_desk.search_help(query, category=category)
        return
    hits = shared_desk.search_help(query, category=category)
    assert all(isinstance(h, SearchHit) for h in hits)
    if category is not None:
        assert all(h.category == category for h in hits)


# -- attachments: names and content --------------------------------------------------


@pytest.mark.parametrize(
    "name, safe",
    [
        ("../../x.png", "x.png"),
        ("..\\..\\x.png", "x.png"),
        ("/etc/passwd", "passwd.png"),  # and the extension of what the bytes are
        ("C:\\Windows\\System32\\x.png", "x.png"),
        ("\\\\server\\share\\x.png", "x.png"),
        ("....//....//x.png", "x.png"),
        ("a/b/../../../../x.png", "x.png"),
        ("x\x00.png", "x.png"),
        ("../x.png\x00/../../../etc/passwd", "passwd.png"),
        ("\x1b[31mx.png", "[31mx.png"),
        ("  ../  x.png  ", "x.png"),
        ("%2e%2e%2fx.png", "%2e%2e%2fx.png"),  # not a path: nobody decodes it
        ("x.png", "x.png"),
    ],
)
def test_attachment_names_end_as_a_safe_base_name(desk, name, safe):
    alice = desk.ensure_user("alice")
    question = ask(desk, alice, attachments=[(name, PNG)])
    assert question.attachments[0].filename == safe
    assert desk.attach(alice, question.id, name, PNG).filename == safe


@pytest.mark.parametrize("name", ["..", ".", "", "   ", "../", "x/..", "x\\.", "/", "\x00", "\x00..\x00"])
def test_attachment_names_with_nothing_left_are_refused(desk, name):
    alice = desk.ensure_user("alice")
    with pytest.raises(BadInput):
        ask(desk, alice, attachments=[(name, PNG)])
    assert desk.list_questions(alice).questions == []


@pytest.mark.parametrize("name", ["evil\n.png", "a\r\nX-Injected: 1.png", "tab\there.png"])
def test_attachment_names_lose_line_breaks(desk, name):
    alice = desk.ensure_user("alice")
    stored = ask(desk, alice, attachments=[(name, PNG)]).attachments[0].filename
    assert not any(ch in stored for ch in "\r\n\t"), repr(stored)


@pytest.mark.parametrize(
    "name, content",
    [
        ("virus.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("virus.png", b"MZ\x90\x00\x03\x00\x00\x00"),  # the name claims a picture
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("script.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 26),
        ("binary.txt", b"\xff\xfe\x00\x00bad"),
        ("latin1.log", "пароль".encode("cp1251")),
        ("notes.md", b"# plain text, but not .txt or .log"),
        ("empty.pdf", b""),
        ("text.txt", "a str, not bytes"),
        ("none.png", None),
        ("int.png", 12345),
        ("list.png", [0x89, 0x50]),
    ],
)
def test_attachment_content_that_is_not_an_allowed_type_is_refused(desk, name, content):
    alice = desk.ensure_user("alice")
    with pytest.raises(BadInput):
        ask(desk, alice, attachments=[(name, content)])
    question = ask(desk, alice)
    with pytest.raises(BadInput):
        desk.attach(alice, question.id, name, content)
    assert desk.get_question(alice, question.id).attachments == []
    assert desk.conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0


@pytest.mark.parametrize(
    "content, content_type",
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        (b"GIF89a" + b"\x00" * 16, "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n1 0 obj <<>> endobj\nstartxref\n9\n%%EOF\n", "application/pdf"),
    ],
)
def test_attachment_type_comes_from_the_bytes_not_the_name(desk, content, content_type):
    alice = desk.ensure_user("alice")
    question = ask(desk, alice, attachments=[("innocent.txt", content)])
    assert question.attachments[0].content_type == content_type


# -- limits: at the limit accepted, just over refused ---------------------------------


def _question(desk):
    alice = desk.ensure_user("alice")
    return alice, ask(desk, alice)


def _answered(desk):
    alice, question = _question(desk)
    agent = desk.ensure_user("agent-smith", "agent")
    desk.take(agent)
    desk.answer(agent, question.id, "Ответ.")
    return alice, question


def _set_title(desk, size):
    return len(ask(desk, desk.ensure_user("alice"), title="я" * size).title)


def _set_body(desk, size):
    return len(ask(desk, desk.ensure_user("alice"), body="ы" * size).body)


def _edit_title(desk, size):
    alice, question = _question(desk)
    return len(desk.edit_question(alice, question.id, title="я" * size).title)


def _edit_body(desk, size):
    alice, question = _question(desk)
    return len(desk.edit_question(alice, question.id, body="ы" * size).body)


def _comment(desk, size):
    alice, question = _question(desk)
    return len(desk.comment(alice, question.id, "к" * size).body)


def _answer(desk, size):
    _alice, question = _question(desk)
    agent = desk.ensure_user("agent-smith", "agent")
    desk.take(agent)
    return len(desk.answer(agent, question.id, "о" * size).answer.body)


def _link(desk, size):
    prefix = "https://vk.com/"
    link = prefix + "a" * (size - len(prefix))
    return len(ask(desk, desk.ensure_user("alice"), link=link).link)


def _rating_comment(desk, size):
    alice, question = _answered(desk)
    return len(desk.rate(alice, question.id, "good", "х" * size).rating_comment)


def _user_name(desk, size):
    return len(desk.add_user("и" * size)[0].name)


def _idempotency_key(desk, size):
    ask(desk, desk.ensure_user("alice"), idempotency_key="k" * size)
    return size


def _attachment_name(desk, size):
    return len(
        ask(desk, desk.ensure_user("alice"), attachments=[("n" * (size - 4) + ".png", PNG)])
        .attachments[0]
        .filename
    )


def _attachment_bytes(desk, size):
    content = PNG[:8] + b"\x00" * (size - 8)
    return ask(desk, desk.ensure_user("alice"), attachments=[("big.png", content)]).attachments[0].size


def _attachments_on_ask(desk, count):
    return len(
        ask(
            desk, desk.ensure_user("alice"), attachments=[(f"{n}.png", PNG) for n in range(count)]
        ).attachments
    )


def _attachments_added(desk, count):
    alice, question = _question(desk)
    for n in range(count):
        desk.attach(alice, question.id, f"{n}.png", PNG)
    return len(desk.get_question(alice, question.id).attachments)


def _list_limit(desk, size):
    desk.list_questions(desk.ensure_user("alice"), limit=size)
    return size


def _search_limit(desk, size):
    desk.search_help("пароль", limit=size)
    return size


LIMITS = [
    (_set_title, service.TITLE_MAX),
    (_set_body, service.BODY_MAX),
    (_edit_title, service.TITLE_MAX),
    (_edit_body, service.BODY_MAX),
    (_comment, service.COMMENT_MAX),
    (_answer, service.COMMENT_MAX),
    (_link, service.LINK_MAX),
    (_rating_comment, service.RATING_COMMENT_MAX),
    (_user_name, service.NAME_MAX),
    (_idempotency_key, 200),
    (_attachment_name, 255),
    (_attachment_bytes, service.ATTACHMENT_MAX_BYTES),
    (_attachments_on_ask, service.ATTACHMENTS_MAX),
    (_attachments_added, service.ATTACHMENTS_MAX),
    (_list_limit, service.LIST_LIMIT_MAX),
    (_search_limit, 100),
]


@pytest.mark.parametrize("make, limit", LIMITS, ids=lambda v: getattr(v, "__name__", "")[1:] or None)
def test_a_value_at_the_limit_is_accepted(desk, make, limit):
    assert make(desk, limit) == limit


@pytest.mark.parametrize("make, limit", LIMITS, ids=lambda v: getattr(v, "__name__", "")[1:] or None)
def test_a_value_just_over_the_limit_is_refused(desk, make, limit):
    before = snapshot(desk)
    with pytest.raises(BadInput):
        make(desk, limit + 1)
    assert_intact(desk, before)
    if make not in (_attachments_added, _comment, _answer, _rating_comment, _edit_title, _edit_body):
        assert desk.conn.execute("SELECT count(*) FROM questions").fetchone()[0] == 0


def test_a_huge_value_is_refused_without_storing_anything(desk):
    alice = desk.ensure_user("alice")
    huge = "ж" * 2_000_000
    for fields in ({"title": huge}, {"body": huge}, {"link": "https://vk.com/" + huge}):
        with pytest.raises(BadInput):
            ask(desk, alice, **fields)
    question = ask(desk, alice)
    with pytest.raises(BadInput):
        desk.comment(alice, question.id, huge)
    with pytest.raises(BadInput):
        desk.add_user(huge)
    assert desk.get_question(alice, question.id).comments == []


def test_limits_count_text_after_cleaning(desk):
    alice = desk.ensure_user("alice")
    padded = "\x00" * 50 + "ы" * service.BODY_MAX + "  \r\n\x07"
    assert len(ask(desk, alice, body=padded).body) == service.BODY_MAX


# -- any text: stored cleaned, or refused ------------------------------------------

_fuzz_users = iter(range(10**9))


def cleaned(text: str) -> str | None:
    """What the desk stores for ``text`` (README, "Limits"): control characters dropped, line ends
    made ``\\n``, ends trimmed; None for text that is not valid Unicode (a lone surrogate)."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\t\n" or not (ord(ch) < 32 or ord(ch) == 127)).strip()


def one_line(text: str) -> str | None:
    """A summary as stored: cleaned, then every run of white space one space."""
    text = cleaned(text)
    return None if text is None else " ".join(text.split())


@FUZZ
@given(title=st.text(max_size=250), body=st.text(max_size=400), comment=st.text(max_size=200))
def test_any_text_is_stored_cleaned_or_refused(shared_desk, title, body, comment):
    user = shared_desk.ensure_user(f"fuzz-{next(_fuzz_users)}")
    want_title, want_body, want_comment = one_line(title), cleaned(body), cleaned(comment)
    title_ok = bool(want_title) and len(want_title) <= service.TITLE_MAX
    if not (title_ok and want_body):
        with pytest.raises(BadInput):
            shared_desk.ask(user, topic="account", title=title, body=body)
        assert shared_desk.list_questions(user).questions == []
        return
    question = shared_desk.ask(user, topic="account", title=title, body=body).question
    assert (question.title, question.body) == (want_title, want_body)
    stored = shared_desk.get_question(user, question.id)
    assert (stored.title, stored.body) == (want_title, want_body)
    if not want_comment:
        with pytest.raises(BadInput):
            shared_desk.comment(user, question.id, comment)
        assert shared_desk.get_question(user, question.id).comments == []
        return
    made = shared_desk.comment(user, question.id, comment)
    assert made.body == want_comment
    assert [c.body for c in shared_desk.get_question(user, question.id).comments] == [want_comment]


# -- regression tests: names, cursors, surrogates and types the desk once let through --


@pytest.mark.parametrize("name", ["", "   ", "x" * (service.NAME_MAX + 1), "x" * 10_000])
def test_ensure_user_refuses_names_add_user_refuses(desk, name):
    with pytest.raises(BadInput):
        desk.add_user(name)  # the signed-up path refuses it...
    with pytest.raises(BadInput):
        desk.ensure_user(name)  # ...and so should the sandbox's


def test_ensure_user_refuses_an_unknown_role(desk):
    with pytest.raises(BadInput):
        desk.ensure_user("zed", "admin")


@pytest.mark.parametrize("cursor", ["²", "1²", "③"])
def test_list_cursor_with_unicode_digits_is_bad_input(desk, cursor):
    with pytest.raises(BadInput):
        desk.list_questions(desk.ensure_user("alice"), cursor=cursor)


@pytest.mark.parametrize("field", ["title", "body", "topic", "link", "comment", "user", "attachment"])
def test_lone_surrogates_are_bad_input(desk, field):
    alice = desk.ensure_user("alice")
    with pytest.raises(BadInput):
        if field == "comment":
            desk.comment(alice, ask(desk, alice).id, "деталь \ud800")
        elif field == "user":
            desk.add_user("имя\ud800")
        elif field == "attachment":
            ask(desk, alice, attachments=[("x\ud800.png", PNG)])
        elif field == "link":
            ask(desk, alice, link="https://vk.com/\ud800")
        else:
            ask(desk, alice, **{field: "текст \ud800"})


@pytest.mark.parametrize(
    "call",
    [
        lambda desk, user: ask(desk, user, topic=5),
        lambda desk, user: ask(desk, user, link=5),
        lambda desk, user: ask(desk, user, idempotency_key=5),
        lambda desk, user: desk.list_questions(user, cursor=5),
        lambda desk, user: desk.list_questions(user, limit="5"),
    ],
    ids=["topic", "link", "idempotency_key", "cursor", "limit"],
)
def test_non_text_values_are_bad_input(desk, call):
    with pytest.raises(BadInput):
        call(desk, desk.ensure_user("alice"))


@pytest.mark.parametrize(
    "call",
    [
        lambda desk, user: ask(desk, user, title=5),
        lambda desk, user: ask(desk, user, body=None),
        lambda desk, user: ask(desk, user, kind=None),
        lambda desk, user: desk.list_questions(user, status=None),
        lambda desk, user: desk.rate(user, 1, None),
        lambda desk, user: desk.search_help(None),
    ],
    ids=["title", "body", "kind", "status", "rating", "search"],
)
def test_non_text_values_are_refused_as_bad_input(desk, call):
    with pytest.raises(BadInput):
        call(desk, desk.ensure_user("alice"))


def test_a_stored_link_never_exceeds_the_limit(desk):
    """The limit counts the link as stored, with the "https://" the desk adds to a bare address."""
    alice = desk.ensure_user("alice")
    fits = "vk.com/" + "a" * (service.LINK_MAX - len("https://vk.com/"))
    assert ask(desk, alice, link=fits).link == "https://" + fits
    assert len("https://" + fits) == service.LINK_MAX
    desk.delete_question(alice, desk.list_questions(alice).questions[0].id)
    with pytest.raises(BadInput, match="longer than"):
        ask(desk, alice, link=fits + "a")
    assert desk.list_questions(alice).questions == []
