"""Model-based test of the desk's rules (DESIGN.md, "The desk's rules").

A hypothesis state machine drives a real ``Desk`` (a copy of the session's
template database per example) with random sequences of ask, edit, comment,
delete, take, answer, rate and close by three users and two agents, and checks
after every step that the desk agrees with a tiny in-memory model of the rules:
each call must succeed or fail exactly as the model says, and the invariants
compare every user's list, every question and the agents' queue with the model.

Running it
----------
The default profile, ``ci``, is bounded and deterministic (``derandomize``, no
example database): 100 walks of up to 50 steps, about 5 s on a 2-core machine,
the same sequences on every run. For a
deeper, randomised search on demand::

    VKSUPPORT_HYPOTHESIS_PROFILE=deep .venv/bin/python -m pytest tests/test_desk_model.py -q

``deep`` runs 1000 examples of up to 60 steps (about a minute) and keeps failing
examples in the local hypothesis database (``.hypothesis/``), so a failure
replays first next time. Add ``--hypothesis-show-statistics`` to see which
outcomes (``event``s below) the walk reached. The profiles are plain
``settings`` objects passed to this one test, never loaded globally, so they do
not change other tests' hypothesis settings.

Two desk bugs this walk found are fixed: an agent could edit or delete a
user's unprocessed question (the walk now lets agents try), and a comment key
whose comment was deleted with its question replayed whatever comment reused
that row id. Each also has a plain regression test at the end of this file.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import sqlite3
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from vksupport_cli.desk.service import Desk
from vksupport_cli.errors import (
    BadInput,
    Conflict,
    DeskError,
    IdempotencyMismatch,
    NotAccepting,
    NotAllowed,
    NotEditable,
    NotFound,
    OpenQuestionExists,
)

from conftest import Clock

PROFILES = {
    # 100 walks of up to 50 steps: about 5 s here, and enough to reach every outcome
    # above (a refused follow-up needs an answer, a new ask, then a comment; 40 x 30
    # walks never got there).
    "ci": settings(
        max_examples=100,
        stateful_step_count=50,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    ),
    "deep": settings(
        max_examples=1000,
        stateful_step_count=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    ),
}
PROFILE = os.environ.get("VKSUPPORT_HYPOTHESIS_PROFILE", "ci")

USERS = ("alice", "bob", "carol")
AGENTS = ("agent-smith", "agent-jones")
OPEN = ("waiting", "in_progress")
#: Idempotency keys: a small pool shared by asks and comments, so that replays
#: and a key reused for another request (the other kind, another question or text) happen often.
KEYS = (None, None, "k1", "k2", "k3")
#: Ids no question ever has: far beyond any given out, or near the 64-bit edge.
MISSING_IDS = (10**9, 2**62)
#: Who acts on a question: None is its author; a user's name may or may not be.
ACTORS = (None,) * 6 + USERS
#: Who tries to change a question: the same, and an agent (who may see it but never change it).
EDITORS = (*ACTORS, AGENTS[0])


@dataclass
class Q:
    """The model of one question: only what the rules depend on."""

    id: int
    owner: str
    kind: str
    title: str
    status: str = "waiting"
    agent: str | None = None  # the agent holding it
    taken_ever: bool = False
    answered_ever: bool = False
    rating: str | None = None
    comments: int = 0  # comments and answers in its thread

    @property
    def editable(self) -> bool:
        """Unprocessed: never taken by an agent, and waiting."""
        return not self.taken_ever and self.status == "waiting"


def question_id(*prefer: str) -> st.SearchStrategy[int]:
    """An id for a rule to act on, drawn from the machine's model.

    Half the time one in a ``prefer`` status (if any), else any live question;
    one time in ten a deleted one or one never given out.
    """
    return st.runner().flatmap(lambda machine: machine.ids(prefer))


class DeskMachine(RuleBasedStateMachine):
    """A real desk and its model, stepped together."""

    template: str | None = None  # set by the test: the session's template database
    workdir: str | None = None
    _serial = itertools.count()

    def __init__(self) -> None:
        super().__init__()
        self.path = os.path.join(self.workdir, f"desk-{next(self._serial)}.sqlite3")
        source, target = sqlite3.connect(self.template), sqlite3.connect(self.path)
        source.backup(target)
        source.close()
        target.close()
        self.clock = Clock()
        self.desk = Desk.open(self.path, clock=self.clock)
        # The desk hands out waiting questions at random (its ``rng`` draws the queue's keys and
        # each take's point). Hypothesis must replay an example exactly (to shrink it, and to stay
        # deterministic), so the desk draws from a generator that each take seeds from its ``pick``.
        self.rng = random.Random(0)
        self.desk.rng = self.rng
        self.people = {name: self.desk.ensure_user(name) for name in USERS}
        self.people.update({name: self.desk.ensure_user(name, "agent") for name in AGENTS})
        # the model
        self.model: dict[int, Q] = {}
        self.ever: set[int] = set()  # every id the desk gave out, deleted ones too
        #: (user, key) -> (resource, id, request): an ask's fields, or the question a comment went to
        self.keys: dict[tuple[str, str], tuple[str, int, object]] = {}
        self.comment_of: dict[int, int] = {}  # live comment (or answer) id -> its question id
        self.accepting = True
        self.asked = 0

    def teardown(self) -> None:
        self.desk.close()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path + suffix)

    # -- helpers --------------------------------------------------------------

    def tick(self) -> None:
        self.clock.advance(minutes=7)

    def ids(self, prefer: tuple[str, ...]) -> st.SearchStrategy[int]:
        rare = sorted(self.ever - set(self.model)) + list(MISSING_IDS)
        live = sorted(self.model) or rare
        preferred = sorted(q.id for q in self.model.values() if q.status in prefer) or live
        pools = {"preferred": preferred, "live": live, "rare": rare}
        kinds = ("preferred",) * 5 + ("live",) * 4 + ("rare",)
        return st.sampled_from(kinds).flatmap(lambda kind: st.sampled_from(pools[kind]))

    def open_of(self, user: str) -> Q | None:
        found = [q for q in self.model.values() if q.owner == user and q.status in OPEN]
        assert len(found) <= 1, f"the model lets {user} hold {len(found)} open questions"
        return found[0] if found else None

    def actor_for(self, qid: int, actor: str | None) -> str:
        if actor is not None:
            return actor
        q = self.model.get(qid)
        return q.owner if q is not None else USERS[0]

    def owns(self, name: str, qid: int) -> bool:
        q = self.model.get(qid)
        return q is not None and q.owner == name

    def refused(self, step: str, error: type[DeskError], call) -> DeskError:
        """``call()`` must raise exactly ``error`` (not a subclass of it); returns it."""
        with pytest.raises(error) as raised:
            call()
        assert type(raised.value) is error, f"{step}: {raised.value!r} is not a plain {error.__name__}"
        event(f"{step}: {error.__name__}")
        return raised.value

    def check_count(self, expected: int) -> None:
        assert self.desk.conn.execute("SELECT count(*) FROM questions").fetchone()[0] == expected

    # -- asking ---------------------------------------------------------------

    @initialize(
        askers=st.lists(
            st.tuples(st.sampled_from(USERS), st.sampled_from(KEYS)),
            unique_by=lambda asker: asker[0],
            max_size=len(USERS),
        )
    )
    def seed(self, askers):
        """Some examples start with questions already waiting, to reach deeper states."""
        for user, key in askers:
            self.ask(user, ads=False, key=key, resend=False)

    @rule(user=st.sampled_from(USERS), ads=st.booleans(), key=st.sampled_from(KEYS), resend=st.booleans())
    def ask(self, user, ads, key, resend):
        self.tick()
        self.asked += 1
        remembered = self.keys.get((user, key)) if key else None
        if resend and remembered is not None and remembered[0] == "question":
            payload = remembered[2]  # the very request the key first made: a replay
        else:
            payload = {
                "topic": "ads-business" if ads else "hacked-page",
                "title": f"Вопрос номер {self.asked} от {user}",
                "body": f"Подробности {self.asked}: страницу взломали, пароль не подходит.",
                "kind": "ads" if ads else "standard",
            }
        title, kind = payload["title"], payload["kind"]
        before = len(self.model)

        def call():
            return self.desk.ask(self.people[user], **payload, idempotency_key=key)

        if remembered is not None:  # replays come first, even when not accepting
            resource, earlier, first_payload = remembered
            if resource == "question" and payload == first_payload:  # the first question, nothing new
                replayed = call().question
                assert (replayed.id, replayed.title, replayed.status) == (
                    earlier,
                    self.model[earlier].title,
                    self.model[earlier].status,
                )
                event("ask: replayed")
            else:  # the key was used for a comment, or for another question
                error = self.refused("ask", IdempotencyMismatch, call)
                first_question = earlier if resource == "question" else self.comment_of[earlier]
                assert error.details["question_id"] == first_question
        elif not self.accepting:
            self.refused("ask", NotAccepting, call)
        elif (open_q := self.open_of(user)) is not None:
            error = self.refused("ask", OpenQuestionExists, call)
            assert error.question_id == error.details["question_id"] == open_q.id
        else:
            question = call().question
            assert question.id not in self.model
            assert (question.status, question.kind, question.author, question.title) == (
                "waiting",
                kind,
                user,
                title,
            )
            assert question.unprocessed and question.agent is None
            self.model[question.id] = Q(question.id, user, kind, title)
            self.ever.add(question.id)
            if key:
                self.keys[(user, key)] = ("question", question.id, payload)
            event(f"ask: created {kind}")
            return
        self.check_count(before)

    @rule(accepting=st.sampled_from((True, True, False)))
    def switch(self, accepting):
        """Under a flood the desk stops taking questions; everything else keeps working."""
        self.desk.set_accepting(accepting)
        assert self.desk.accepting() is accepting
        self.accepting = accepting

    # -- the author's changes -------------------------------------------------

    @precondition(lambda self: self.model)
    @rule(qid=question_id("waiting"), actor=st.sampled_from(EDITORS))
    def edit(self, qid, actor):
        self.tick()
        name = self.actor_for(qid, actor)
        title = f"Исправлено {qid} ({name})"

        def call():
            return self.desk.edit_question(self.people[name], qid, title=title)

        if not self.owns(name, qid):
            self.refused("edit", NotFound, call)
        elif not self.model[qid].editable:
            self.refused("edit", NotEditable, call)
        else:
            edited = call()
            assert (edited.id, edited.title, edited.status, edited.unprocessed) == (
                qid,
                title,
                "waiting",
                True,
            )
            self.model[qid].title = title
            event("edit: done")

    @precondition(lambda self: self.model)
    @rule(qid=question_id("waiting"), actor=st.sampled_from(EDITORS))
    def delete(self, qid, actor):
        self.tick()
        name = self.actor_for(qid, actor)

        def call():
            self.desk.delete_question(self.people[name], qid)

        if not self.owns(name, qid):
            self.refused("delete", NotFound, call)
        elif not self.model[qid].editable:
            self.refused("delete", NotEditable, call)
        else:
            call()
            del self.model[qid]
            gone = {c for c, q in self.comment_of.items() if q == qid}
            self.comment_of = {c: q for c, q in self.comment_of.items() if q != qid}
            # A deleted question's keys go with it, its comments' too: they ask anew.
            self.keys = {
                k: (resource, rid, request)
                for k, (resource, rid, request) in self.keys.items()
                if (resource, rid) != ("question", qid) and not (resource == "comment" and rid in gone)
            }
            self.refused("get deleted", NotFound, lambda: self.desk.get_question(self.people[name], qid))
            event("delete: done")

    @precondition(lambda self: self.model)
    @rule(
        qid=question_id("answered"),
        actor=st.sampled_from((*ACTORS, AGENTS[0])),
        key=st.sampled_from(KEYS),
    )
    def comment(self, qid, actor, key):
        self.tick()
        name = self.actor_for(qid, actor)

        def call():
            return self.desk.comment(
                self.people[name], qid, f"Комментарий к {qid} от {name}", idempotency_key=key
            )

        remembered = self.keys.get((name, key)) if key else None
        if remembered is not None:  # replays come first, whatever the question
            resource, earlier, first_target = remembered
            if resource == "question" or first_target != qid:  # another operation, or question
                error = self.refused("comment", IdempotencyMismatch, call)
                first_question = earlier if resource == "question" else first_target
                assert error.details["question_id"] == first_question
            else:  # the first comment (same question, same text), nothing new
                assert call().id == earlier
                assert len(self.desk.get_question(self.people[name], self.comment_of[earlier]).comments) == (
                    self.model[self.comment_of[earlier]].comments
                )
                event("comment: replayed")
            return
        if not self.owns(name, qid):  # nobody else's, and never an agent's
            self.refused("comment", NotFound, call)
            return
        q = self.model[qid]
        if q.status == "closed":
            self.refused("comment on closed", Conflict, call)
            return
        if q.status == "answered":  # a follow-up: open again, unless another is
            other = self.open_of(name)
            if other is not None:
                error = self.refused("follow-up", OpenQuestionExists, call)
                assert error.question_id == other.id
                return
            q.status, q.agent = "waiting", None
            event("follow-up: reopened")
        made = call()
        assert (made.question_id, made.kind, made.author, made.role) == (qid, "comment", name, "user")
        assert made.id not in self.comment_of
        q.comments += 1
        self.comment_of[made.id] = qid
        if key:
            self.keys[(name, key)] = ("comment", made.id, qid)
        event(f"comment: added ({q.status})")

    # -- agents ---------------------------------------------------------------

    @rule(agent=st.sampled_from((*AGENTS, *AGENTS, USERS[1])), pick=st.integers(0, 2**16))
    def take(self, agent, pick):
        self.tick()
        if agent not in AGENTS:
            self.refused("take by a user", NotAllowed, lambda: self.desk.take(self.people[agent]))
            return
        self.rng.seed(pick)
        self.take_one(agent)

    @rule(agent=st.sampled_from(AGENTS), pick=st.integers(0, 2**16))
    def serve(self, agent, pick):
        """An agent's usual turn: take a question and answer it at once."""
        self.tick()
        self.rng.seed(pick)
        if (taken := self.take_one(agent)) is not None:
            self.tick()
            self.answer_one(taken, agent)

    @precondition(lambda self: any(q.status == "in_progress" for q in self.model.values()))
    @rule(
        qid=question_id("in_progress"),
        who=st.sampled_from(("holder", "holder", "holder", *AGENTS, USERS[0])),
    )
    def answer(self, qid, who):
        self.tick()
        if who == "holder":
            q = self.model.get(qid)
            who = q.agent if q is not None and q.agent else AGENTS[0]
        self.answer_one(qid, who)

    def take_one(self, agent: str) -> int | None:
        waiting = {q.id for q in self.model.values() if q.status == "waiting"}
        ads = {qid for qid in waiting if self.model[qid].kind == "ads"}
        taken = self.desk.take(self.people[agent])
        if not waiting:
            assert taken is None
            event("take: queue empty")
            return None
        assert taken is not None
        assert taken.id in (ads or waiting), f"took {taken.id}; waiting ads {ads}, all waiting {waiting}"
        assert (taken.status, taken.agent, taken.unprocessed) == ("in_progress", agent, False)
        q = self.model[taken.id]
        q.status, q.agent, q.taken_ever = "in_progress", agent, True
        event("take: ads first" if ads and len(ads) < len(waiting) else "take: one")
        return taken.id

    def answer_one(self, qid: int, who: str) -> None:
        q = self.model.get(qid)

        def call():
            return self.desk.answer(self.people[who], qid, f"Ответ на {qid}.")

        if who not in AGENTS:
            self.refused("answer by a user", NotAllowed, call)
        elif q is None:
            self.refused("answer", NotFound, call)
        elif q.status != "in_progress" or q.agent != who:
            self.refused("answer not held", Conflict, call)
        else:
            answered = call()
            assert (answered.status, answered.agent) == ("answered", who)
            assert answered.answer is not None and answered.answer.body == f"Ответ на {qid}."
            q.status, q.answered_ever = "answered", True
            q.comments += 1
            self.comment_of[answered.answer.id] = qid  # answers are comment rows too
            event("answer: done")

    # -- ending ---------------------------------------------------------------

    @precondition(lambda self: any(q.answered_ever for q in self.model.values()))
    @rule(
        qid=question_id("answered", "closed"),
        actor=st.sampled_from(ACTORS),
        rating=st.sampled_from(("good", "bad", "good", "bad", "meh")),
        remark=st.sampled_from((None, "Спасибо!", "Агент не понял вопроса", "  ")),
    )
    def rate(self, qid, actor, rating, remark):
        self.tick()
        name = self.actor_for(qid, actor)

        def call():
            return self.desk.rate(self.people[name], qid, rating, remark)

        q = self.model.get(qid)
        if rating not in ("good", "bad"):
            self.refused("rate", BadInput, call)
        elif not self.owns(name, qid):
            self.refused("rate", NotFound, call)
        elif q.rating is not None:
            self.refused("rate twice", Conflict, call)
        elif not q.answered_ever or q.status in OPEN:
            self.refused("rate unanswered", Conflict, call)
        else:
            rated = call()
            assert (rated.status, rated.rating) == ("closed", rating)
            assert rated.rating_comment == ((remark.strip() or None) if remark else None)
            event(f"rate: done ({q.status})")
            q.status, q.rating = "closed", rating

    @precondition(lambda self: self.model)
    @rule(qid=question_id("answered", "in_progress"), actor=st.sampled_from(ACTORS))
    def close(self, qid, actor):
        self.tick()
        name = self.actor_for(qid, actor)

        def call():
            return self.desk.close_question(self.people[name], qid)

        if not self.owns(name, qid):
            self.refused("close", NotFound, call)
        elif self.model[qid].status == "closed":
            self.refused("close closed", Conflict, call)
        else:
            assert call().status == "closed"
            event(f"close: done ({self.model[qid].status})")
            self.model[qid].status = "closed"

    # -- invariants -----------------------------------------------------------

    # Invariants run after every step, so they read in bulk: one list per person, and
    # one query for the comment counts, rather than one get_question per question.

    @invariant()
    def every_user_lists_exactly_their_own_questions(self):
        for user in USERS:
            listed = self.desk.list_questions(self.people[user], limit=1000).questions
            mine = {q.id: q for q in self.model.values() if q.owner == user}
            assert [q.id for q in listed] == sorted(mine, reverse=True)  # newest first
            for seen in listed:
                q = mine[seen.id]
                assert (seen.author, seen.status, seen.agent, seen.rating, seen.title, seen.kind) == (
                    user,
                    q.status,
                    q.agent,
                    q.rating,
                    q.title,
                    q.kind,
                ), q
                assert seen.unprocessed == (not q.taken_ever)
                assert seen.editable == q.editable
                assert (seen.answered_at is not None) == q.answered_ever
            assert sum(q.status in OPEN for q in listed) <= 1
            opened = self.desk.list_questions(self.people[user], status="open").questions
            expected = self.open_of(user)
            assert [q.id for q in opened] == ([expected.id] if expected else [])
        self.check_count(len(self.model))

    @invariant()
    def nobody_sees_another_users_question_but_agents_see_all(self):
        everything = self.desk.list_questions(self.people[AGENTS[1]], limit=1000).questions
        assert {q.id: q.status for q in everything} == {q.id: q.status for q in self.model.values()}
        for q in self.model.values():
            stranger = USERS[(USERS.index(q.owner) + 1 + q.id) % len(USERS)]
            if stranger == q.owner:
                stranger = USERS[(USERS.index(q.owner) + 1) % len(USERS)]
            with pytest.raises(NotFound):
                self.desk.get_question(self.people[stranger], q.id)

    @invariant()
    def every_thread_holds_the_comments_and_answers_given(self):
        counts = dict(
            self.desk.conn.execute("SELECT question_id, count(*) FROM comments GROUP BY question_id")
        )
        assert counts == {q.id: q.comments for q in self.model.values() if q.comments}

    @invariant()
    def the_queue_is_the_waiting_questions_advertisers_first(self):
        queue = self.desk.queue(self.people[AGENTS[0]], limit=1000)
        assert {q.id for q in queue} == {q.id for q in self.model.values() if q.status == "waiting"}
        kinds = [q.kind for q in queue]
        assert kinds == sorted(kinds, key=lambda kind: kind != "ads")


def test_the_desk_follows_its_rules(_template_db, tmp_path):
    DeskMachine.template = str(_template_db)
    DeskMachine.workdir = str(tmp_path)
    run_state_machine_as_test(DeskMachine, settings=PROFILES[PROFILE])


def test_a_deleted_questions_key_asks_anew(desk):
    """A sequence the bounded walk rarely reaches (the deep profile does): delete frees the key."""
    alice = desk.ensure_user("alice")
    first = desk.ask(alice, topic="account", title="Первый", body="Текст", idempotency_key="k").question
    desk.delete_question(alice, first.id)
    again = desk.ask(alice, topic="account", title="Второй", body="Текст", idempotency_key="k").question
    assert again.title == "Второй"
    assert (
        desk.ask(alice, topic="account", title="Второй", body="Текст", idempotency_key="k").question.id
        == again.id
    )
    with pytest.raises(IdempotencyMismatch):
        desk.ask(alice, topic="account", title="x", body="y", idempotency_key="k")


# -- regression tests of bugs the walk once found ---------------------------------


def test_only_the_author_edits_or_deletes_an_unprocessed_question(desk):
    alice = desk.ensure_user("alice")
    agent = desk.ensure_user("agent-smith", "agent")
    question = desk.ask(alice, topic="account", title="Вопрос", body="Текст").question
    with pytest.raises(NotFound):
        desk.edit_question(agent, question.id, title="Исправил агент")
    with pytest.raises(NotFound):
        desk.delete_question(agent, question.id)
    assert desk.get_question(alice, question.id).title == "Вопрос"


def test_a_stale_comment_key_never_replays_another_users_comment(desk):
    alice, bob = desk.ensure_user("alice"), desk.ensure_user("bob")
    mine = desk.ask(alice, topic="account", title="Мой", body="Мой вопрос").question
    first = desk.comment(alice, mine.id, "моя деталь", idempotency_key="k")
    desk.delete_question(alice, mine.id)  # takes the comment and its key with it
    theirs = desk.ask(bob, topic="account", title="Чужой", body="Чужой вопрос").question
    secret = desk.comment(bob, theirs.id, "секрет Боба")
    again = desk.ask(alice, topic="account", title="Новый", body="Новый вопрос").question
    # The key is free again: the same request makes a new comment on the new question.
    made = desk.comment(alice, again.id, "моя деталь", idempotency_key="k")
    assert (made.question_id, made.author, made.body) == (again.id, "alice", "моя деталь")
    assert made.id not in (first.id, secret.id)
    assert [c.id for c in desk.get_question(alice, again.id).comments] == [made.id]
    assert [c.body for c in desk.get_question(bob, theirs.id).comments] == ["секрет Боба"]
