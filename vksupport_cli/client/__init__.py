"""The client API: one interface to the desk, whatever carries the calls.

The CLI talks only to a ``DeskClient``. ``client.local.LocalClient`` calls the
desk in-process (the sandbox); the http adapter (later) speaks the server's
API. Both raise the typed errors of ``vksupport_cli.errors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
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


class DeskClient(Protocol):
    """What the command line may ask of a desk, on behalf of one signed-in person."""

    #: Where this client's desk is: "sandbox" or the server's URL.
    location: str

    def me(self) -> User: ...

    # help centre
    def search_help(self, query: str, *, category: str | None = None, limit: int = 10) -> list[SearchHit]: ...
    def article(self, slug: str) -> Article: ...
    def categories(self) -> list[str]: ...
    def topics(self) -> list[Topic]: ...

    # questions
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
    ) -> AskResult: ...
    def list_questions(
        self, *, status: str = "all", limit: int = 20, cursor: str | None = None
    ) -> QuestionPage: ...
    def get_question(self, question_id: int) -> Question: ...
    def offers_push(self) -> bool:
        """Whether ``wait_for_change`` is woken by the change itself (else: poll with get_question)."""
        ...

    def wait_for_change(self, question_id: int, timeout: float) -> Question | None:
        """The question once it differs from the copy last read, or None after ``timeout`` seconds."""
        ...

    def edit_question(
        self,
        question_id: int,
        *,
        title: str | None = None,
        body: str | None = None,
        link: str | None = None,
        clear_link: bool = False,
    ) -> Question: ...
    def delete_question(self, question_id: int) -> None: ...
    def comment(self, question_id: int, body: str, *, idempotency_key: str | None = None) -> Comment: ...
    def rate(self, question_id: int, rating: str, comment: str | None = None) -> Question: ...
    def close_question(self, question_id: int) -> Question: ...
    def attach(self, question_id: int, filename: str, content: bytes | Path) -> Attachment: ...
    def attachment_content(self, question_id: int, attachment_id: int) -> tuple[Attachment, bytes]: ...
    def download_attachment(self, question_id: int, attachment_id: int, sink: BinaryIO) -> Attachment:
        """Write the attachment's bytes to ``sink`` as they come, checked against its size and sha256."""
        ...

    # the agent's side (the sandbox's agent, or a signed-in agent)
    def agent_take(self) -> Question | None: ...
    def agent_answer(self, question_id: int, body: str) -> Question: ...
    def agent_queue(self, *, limit: int = 100) -> list[Question]: ...

    def close(self) -> None: ...
