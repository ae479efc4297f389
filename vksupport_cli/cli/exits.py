"""Exit codes, the contract scripts rely on, and the one table that maps errors to them."""

from __future__ import annotations

from ..errors import (
    BadInput,
    Conflict,
    DeskError,
    IdempotencyMismatch,
    NotAllowed,
    NotFound,
    NotSignedIn,
    QuotaExceeded,
    Unavailable,
)

OK = 0
ERROR = 1  # anything else, including an aborted edit
USAGE = 2  # bad option or value, or a required value missing with no terminal to ask
NOT_SIGNED_IN = 3  # no token, or the desk rejected it
NOT_FOUND = 4  # no such question (or not yours), article, attachment or draft
CONFLICT = 5  # an open question, a question no longer editable, or a key replayed with another request
UNAVAILABLE = 6  # network error, desk unavailable, rate limited, a quota used up, not accepting questions
TIMEOUT = 7  # `wait` gave up before the answer came
INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT

#: Most specific class first: the first match wins.
_BY_ERROR: list[tuple[type[DeskError], int]] = [
    (BadInput, USAGE),
    (NotSignedIn, NOT_SIGNED_IN),
    (NotFound, NOT_FOUND),
    (IdempotencyMismatch, CONFLICT),
    (Conflict, CONFLICT),
    (Unavailable, UNAVAILABLE),
    (QuotaExceeded, UNAVAILABLE),
    (NotAllowed, ERROR),
]


def for_error(error: DeskError) -> int:
    for kind, code in _BY_ERROR:
        if isinstance(error, kind):
            return code
    return ERROR
