"""The one table from the desk's typed errors to HTTP statuses, and the error body shape.

Every error reply is ``{"error": {"code": ..., "message": ..., "details": {...}}}`` (wire.Error);
the http adapter reads ``code`` back into the same typed error.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    BadInput,
    Conflict,
    DailyLimitReached,
    DeskError,
    IdempotencyMismatch,
    NotAccepting,
    NotAllowed,
    NotFound,
    NotSignedIn,
    QuotaExceeded,
    RateLimited,
    TooLarge,
    Unavailable,
)
from ..wire import Error, ErrorDetail

#: Most specific class first: the first match wins.
STATUS_BY_ERROR: list[tuple[type[DeskError], int]] = [
    (TooLarge, 413),
    (BadInput, 400),
    (NotSignedIn, 401),
    (NotAllowed, 403),
    (NotFound, 404),
    (IdempotencyMismatch, 422),  # the key was first used for another request
    (Conflict, 409),
    (RateLimited, 429),
    (DailyLimitReached, 429),
    (QuotaExceeded, 413),
    (NotAccepting, 503),
    (Unavailable, 503),
]


def status_for(error: DeskError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 500


def error_body(error: DeskError) -> dict[str, Any]:
    return reply_error(error.code, error.message, error.details)


def reply_error(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error reply's body, in its one shape (wire.Error)."""
    return Error(ErrorDetail(code=code, message=message, details=details or {})).to_dict()
