"""The desk's typed errors, shared by every layer.

The desk raises them, the server maps them to HTTP statuses (server/errors.py),
the http adapter turns replies back into them, and the CLI maps them to exit
codes (cli/exits.py). Each carries a stable machine ``code`` and the details a
renderer needs, so no layer has to parse a message.
"""

from __future__ import annotations

from typing import Any

from .i18n import _


class DeskError(Exception):
    """Base of every error the desk or its adapters report on purpose."""

    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class BadInput(DeskError):
    """A value the desk cannot accept (empty, too long, wrong type...)."""

    code = "invalid"


class TooLarge(BadInput):
    """A request body, or a file in it, is over the size the desk takes (``details['limit']`` bytes)."""

    code = "too_large"


class NotFound(DeskError):
    """No such thing, or not visible to the caller (never tells which)."""

    code = "not_found"


class NotSignedIn(DeskError):
    """No credentials, or credentials the desk rejects."""

    code = "unauthorized"


class NotAllowed(DeskError):
    """The caller is known but their role may not do this."""

    code = "not_allowed"


class Conflict(DeskError):
    """The request clashes with the question's state."""

    code = "conflict"


class OpenQuestionExists(Conflict):
    """The one-open-question rule: ``details['question_id']`` is the open one."""

    code = "open_question_exists"

    def __init__(self, question_id: int, message: str | None = None) -> None:
        super().__init__(
            message or _("Question {id} is still open.").format(id=question_id), question_id=question_id
        )
        self.question_id = question_id


class NotEditable(Conflict):
    """An agent has taken the question: no more edits or deletion."""

    code = "not_editable"


class IdempotencyMismatch(Conflict):
    """An idempotency key replayed with another request than the one it first made.

    A key stands for one request: its user, its operation (ask, comment), its target
    (the question a comment goes to) and a fingerprint of its content. The same key
    with anything else is refused, never answered with the first request's result.
    ``details['question_id']`` is the question the key's first request made or went to.
    """

    code = "idempotency_mismatch"


class Unavailable(DeskError):
    """The desk cannot be reached or cannot serve right now."""

    code = "unavailable"


class NotAccepting(Unavailable):
    """The desk has stopped taking new questions for a while."""

    code = "not_accepting"


class RateLimited(Unavailable):
    """Too many requests; ``details['retry_after']`` seconds to wait, if known."""

    code = "rate_limited"


class QuotaExceeded(DeskError):
    """A per-user limit is used up until ``details['resets_at']`` (ISO time).

    ``details['limit']`` names which: ``attachment_bytes`` (stored attachments over
    the quota's window) or ``questions_per_day``; ``details['retry_after']`` is
    the seconds until it resets.
    """

    code = "quota_exceeded"


class DailyLimitReached(QuotaExceeded):
    """Too many questions created in the last day; a 429, retried only after it resets."""

    code = "daily_limit"


#: machine code -> error class, for adapters that rebuild errors from replies.
BY_CODE: dict[str, type[DeskError]] = {
    cls.code: cls
    for cls in (
        DeskError,
        BadInput,
        TooLarge,
        NotFound,
        NotSignedIn,
        NotAllowed,
        Conflict,
        NotEditable,
        IdempotencyMismatch,
        Unavailable,
        NotAccepting,
        RateLimited,
        QuotaExceeded,
        DailyLimitReached,
    )
}
