"""Replayed creates: the same user sending the same key gets what the first request made."""

from __future__ import annotations

from ..errors import BadInput
from ..i18n import _
from .models import User
from .store import Store

_OWNER_OF = {
    "question": "SELECT user_id FROM questions WHERE id = ?",
    "comment": "SELECT author_id FROM comments WHERE id = ?",
}


def hold(store: Store, user: User, key: str) -> None:
    """Make requests with the same key wait for each other (call first in the write)."""
    store.lock(f"vksupport:key:{user.id}:{key}")


def replayed(store: Store, user: User, key: str, resource: str) -> int | None:
    """The id of what ``key`` made earlier, or None; call inside the write transaction."""
    row = store.execute(
        "SELECT resource, resource_id FROM idempotency_keys WHERE user_id = ? AND key = ?",
        (user.id, key),
    ).fetchone()
    if row is None:
        return None
    if row["resource"] != resource:
        raise BadInput(_("This idempotency key was used for another kind of request."))
    owner = store.execute(_OWNER_OF[resource], (row["resource_id"],)).fetchone()
    if owner is None or owner[0] != user.id:
        # What the key made is gone: the key is stale, and the request is a new one.
        store.execute("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ?", (user.id, key))
        return None
    resource_id: int = row["resource_id"]
    return resource_id


def remember(store: Store, user: User, key: str, resource: str, resource_id: int, now: str) -> None:
    store.execute(
        "INSERT INTO idempotency_keys (user_id, key, resource, resource_id, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (user.id, key, resource, resource_id, now),
    )
