"""The local adapter: the desk in-process, on a SQLite file (the sandbox).

Nobody signs in to the sandbox: user calls act as its user and agent calls as
its agent, so the whole life of a question can be played on one machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

from ..desk.changes import ChangeProbe, version_of
from ..desk.models import (
    Article,
    AskResult,
    Attachment,
    Comment,
    Question,
    QuestionPage,
    SearchHit,
    Topic,
    User,
)
from ..desk.service import Desk

SANDBOX_USER = "sandbox-user"
SANDBOX_AGENT = "sandbox-agent"
#: Seconds between two looks at the sandbox file while waiting for a change (a look reads no table).
LOOK_INTERVAL = 0.2


class LocalClient:
    """A ``DeskClient`` calling the desk in this process."""

    location = "sandbox"

    def __init__(
        self,
        desk: Desk,
        *,
        user: str = SANDBOX_USER,
        agent: str = SANDBOX_AGENT,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.desk = desk
        self._sleep = sleep
        self._seen: dict[int, str] = {}
        self._probe: ChangeProbe | None = None
        self._user_name = user
        self._agent_name = agent
        self._user: User | None = None
        self._agent: User | None = None

    @classmethod
    def open(cls, path: str | Path) -> LocalClient:
        return cls(Desk.open(path))

    @property
    def user(self) -> User:
        if self._user is None:
            self._user = self.desk.ensure_user(self._user_name, "user")
        return self._user

    @property
    def agent(self) -> User:
        if self._agent is None:
            self._agent = self.desk.ensure_user(self._agent_name, "agent")
        return self._agent

    def me(self) -> User:
        return self.user

    def search_help(self, query: str, *, category: str | None = None, limit: int = 10) -> list[SearchHit]:
        return self.desk.search_help(query, category=category, limit=limit)

    def article(self, slug: str) -> Article:
        return self.desk.article(slug)

    def categories(self) -> list[str]:
        return self.desk.categories()

    def topics(self) -> list[Topic]:
        return self.desk.topics()

    def ask(
        self,
        *,
        topic: str,
        title: str,
        body: str,
        link: str | None = None,
        kind: str = "standard",
        attachments: Sequence[tuple[str, bytes | Path]] = (),
        idempotency_key: str | None = None,
    ) -> AskResult:
        with ExitStack() as files:  # files are read by the desk in chunks, in one transaction
            return self.desk.ask(
                self.user,
                topic=topic,
                title=title,
                body=body,
                link=link,
                kind=kind,
                attachments=[(name, _opened(files, content)) for name, content in attachments],
                idempotency_key=idempotency_key,
            )

    def list_questions(
        self, *, status: str = "all", limit: int = 20, cursor: str | None = None
    ) -> QuestionPage:
        return self.desk.list_questions(self.user, status=status, limit=limit, cursor=cursor)

    def get_question(self, question_id: int) -> Question:
        question = self.desk.get_question(self.user, question_id)
        self._seen[question_id] = version_of(question)
        return question

    def offers_push(self) -> bool:
        """Whether a change by another process can wake ``wait_for_change`` (a sandbox in a file)."""
        if self._probe is None:
            self._probe = ChangeProbe.open(self.desk)
        return self._probe is not None

    def wait_for_change(self, question_id: int, timeout: float) -> Question | None:
        """The question once it differs from the copy last read, or None after ``timeout`` seconds.

        Whoever changes it (another `vksupport` process, a server on the same file), this
        process notices within ``LOOK_INTERVAL``: each look asks SQLite whether anything was
        committed (``PRAGMA data_version``) and reads the question only when something was.
        """
        seen = self._seen.get(question_id)
        if seen is None or not self.offers_push() or self._probe is None:
            return self.get_question(question_id)
        probe = self._probe
        deadline = time.monotonic() + timeout
        probe.moved()  # from here on: whatever commits, moves it
        while True:
            question = self.get_question(question_id)
            if version_of(question) != seen:
                return question
            while not probe.moved():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._sleep(min(LOOK_INTERVAL, remaining))

    def edit_question(
        self,
        question_id: int,
        *,
        title: str | None = None,
        body: str | None = None,
        link: str | None = None,
        clear_link: bool = False,
    ) -> Question:
        return self.desk.edit_question(
            self.user, question_id, title=title, body=body, link=link, clear_link=clear_link
        )

    def delete_question(self, question_id: int) -> None:
        self.desk.delete_question(self.user, question_id)

    def comment(self, question_id: int, body: str, *, idempotency_key: str | None = None) -> Comment:
        return self.desk.comment(self.user, question_id, body, idempotency_key=idempotency_key)

    def rate(self, question_id: int, rating: str, comment: str | None = None) -> Question:
        return self.desk.rate(self.user, question_id, rating, comment)

    def close_question(self, question_id: int) -> Question:
        return self.desk.close_question(self.user, question_id)

    def attach(self, question_id: int, filename: str, content: bytes | Path) -> Attachment:
        with ExitStack() as files:
            return self.desk.attach(self.user, question_id, filename, _opened(files, content))

    def attachment_content(self, question_id: int, attachment_id: int) -> tuple[Attachment, bytes]:
        return self.desk.attachment_content(self.user, question_id, attachment_id)

    def download_attachment(self, question_id: int, attachment_id: int, sink: BinaryIO) -> Attachment:
        meta, pieces = self.desk.attachment_chunks(self.user, question_id, attachment_id)
        for piece in pieces:
            sink.write(piece)
        return meta

    def agent_take(self) -> Question | None:
        return self.desk.take(self.agent)

    def agent_answer(self, question_id: int, body: str) -> Question:
        return self.desk.answer(self.agent, question_id, body)

    def agent_queue(self, *, limit: int = 100) -> list[Question]:
        return self.desk.queue(self.agent, limit=limit)

    def close(self) -> None:
        if self._probe is not None:
            self._probe.close()
        self.desk.close()


def _opened(files: ExitStack, content: bytes | Path) -> bytes | BinaryIO:
    """An attachment for the desk: bytes as they are, a file opened for reading."""
    if isinstance(content, Path):
        return files.enter_context(content.open("rb"))
    return content
