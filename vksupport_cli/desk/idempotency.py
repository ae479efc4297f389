"""Idempotency keys: a replayed create answers with what the first one made, and only for it.

A client sends a key with a create (ask, comment) so that a retry after an unknown
outcome makes nothing twice. As payment APIs do, a key stands for one request: its
user, its operation, its target (the question a comment goes to) and a fingerprint
of its content. The same key with the same request returns the first result; with
anything else it is refused (``IdempotencyMismatch``), never answered with another
request's result. A key is remembered for ``KEY_TTL``; after that it is free again.
A key whose result is gone (its question was deleted) is free again too.

Both calls run inside the create's write transaction (questions.py, comments.py),
so the lookup and the insert of a key are atomic with the create itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import IdempotencyMismatch
from ..i18n import _
from .models import User
from .records import iso
from .store import Store

#: How long a key is remembered (README, "Idempotency keys").
KEY_TTL = timedelta(hours=24)

#: The operations a key may stand for, as stored in ``idempotency_keys.resource``.
ASK = "question"
COMMENT = "comment"

_OWNER_OF = {
    ASK: "SELECT user_id FROM questions WHERE id = ?",
    COMMENT: "SELECT author_id FROM comments WHERE id = ?",
}


def hold(store: Store, user: User, key: str) -> None:
    """Make requests with the same key wait for each other (call first in the write)."""
    store.lock(f"vksupport:key:{user.id}:{key}")


@dataclass(frozen=True)
class Request:
    """What a key is bound to, besides its user."""

    operation: str  # ASK or COMMENT
    target: int | None  # the question a comment goes to; None for an ask
    fingerprint: str  # fingerprint() of the request's content, as the desk cleaned it


def fingerprint(**content: object) -> str:
    """A stable digest of a request's content (JSON-able values; bytes as their SHA-256)."""
    canonical = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_digest
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _digest(value: object) -> str:
    if isinstance(value, (bytes, bytearray)):
        return hashlib.sha256(value).hexdigest()
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def replayed(store: Store, user: User, key: str, request: Request, now: datetime) -> int | None:
    """The id the key's first request made, if ``request`` is that request; None if the key is free.

    Call inside the write transaction. Raises ``IdempotencyMismatch`` when the key
    is live and was first used for another request.
    """
    row = store.execute(
        "SELECT resource, resource_id, target, fingerprint, created_at FROM idempotency_keys"
        " WHERE user_id = ? AND key = ?",
        (user.id, key),
    ).fetchone()
    if row is None:
        return None
    resource: str = row["resource"]
    resource_id: int = row["resource_id"]
    owner = store.execute(_OWNER_OF[resource], (resource_id,)).fetchone() if resource in _OWNER_OF else None
    if row["created_at"] < iso(now - KEY_TTL) or owner is None or owner[0] != user.id:
        # Expired, or what the key made is gone: the key is free, and the request is a new one.
        store.execute("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ?", (user.id, key))
        return None
    same = (
        resource == request.operation
        and row["target"] == request.target
        # Keys kept from before fingerprints (schema 2) match on operation and target alone.
        and (row["fingerprint"] is None or row["fingerprint"] == request.fingerprint)
    )
    if not same:
        question_id = resource_id if resource == ASK else row["target"]
        raise IdempotencyMismatch(
            _(
                "This idempotency key was already used for another request (on question {id}); "
                "nothing was changed. Send a new request with a new key."
            ).format(id=question_id),
            question_id=question_id,
        )
    return resource_id


def remember(store: Store, user: User, key: str, request: Request, resource_id: int, now: datetime) -> None:
    """Bind ``key`` to ``request`` and what it made; expired keys are dropped on the way."""
    store.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (iso(now - KEY_TTL),))
    store.execute(
        "INSERT INTO idempotency_keys (user_id, key, resource, resource_id, target, fingerprint, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (user.id, key, request.operation, resource_id, request.target, request.fingerprint, iso(now)),
    )
