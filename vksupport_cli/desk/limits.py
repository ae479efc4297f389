"""Per-user limits that keep one user from filling the desk: questions a day, attachment storage.

Both are counted in a ledger (``usage``) that deleting a question does not
shrink, so ask → delete → ask cycles count too. Each refusal names the limit
and when it resets (``resets_at``): the moment enough of the user's counted
use leaves the window.

Operators set them with ``desk serve --questions-per-day N --attachment-quota MIB``
(or the environment variables below); 0 turns a limit off. The embedded
sandbox has none: it is one person's desk on their own disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import DailyLimitReached, QuotaExceeded
from ..i18n import _, ngettext
from .store import Store

QUESTIONS_ENV = "VKSUPPORT_QUESTIONS_PER_DAY"
QUOTA_ENV = "VKSUPPORT_ATTACHMENT_QUOTA_MIB"
DEFAULT_QUESTIONS_PER_DAY = 20
DEFAULT_ATTACHMENT_QUOTA_MIB = 200
QUESTION_WINDOW = timedelta(days=1)
ATTACHMENT_WINDOW = timedelta(days=30)
MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """0 (or None) for a limit: no limit."""

    questions_per_day: int = 0
    attachment_quota_bytes: int = 0

    @classmethod
    def none(cls) -> Limits:
        return cls()

    @classmethod
    def server_defaults(cls) -> Limits:
        """The documented defaults, as the environment overrides them (what `desk serve` uses)."""
        return cls(
            questions_per_day=_env_int(QUESTIONS_ENV, DEFAULT_QUESTIONS_PER_DAY),
            attachment_quota_bytes=_env_int(QUOTA_ENV, DEFAULT_ATTACHMENT_QUOTA_MIB) * MiB,
        )


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return max(0, int(float(value)))
    except ValueError:
        return default


def check_question(store: Store, limits: Limits, user_id: int, now: datetime) -> None:
    """Refuse a new question once the user has created ``questions_per_day`` in the last 24 hours."""
    limit = limits.questions_per_day
    if not limit:
        return
    since = _iso(now - QUESTION_WINDOW)
    rows = store.execute(
        "SELECT created_at FROM usage WHERE user_id = ? AND kind = 'question' AND created_at > ?"
        " ORDER BY created_at",
        (user_id, since),
    ).fetchall()
    if len(rows) < limit:
        return
    # It resets when enough of them leave the window for one more to fit.
    oldest = rows[len(rows) - limit]["created_at"]
    resets = _parse(oldest) + QUESTION_WINDOW
    raise DailyLimitReached(
        ngettext(
            "You have asked {n} question in the last 24 hours, the most this desk takes from one person in a day.",
            "You have asked {n} questions in the last 24 hours, the most this desk takes from one person in a day.",
            len(rows),
        ).format(n=len(rows)),
        limit="questions_per_day",
        allowed=limit,
        resets_at=_iso(resets),
        retry_after=max(1, int((resets - now).total_seconds() + 0.999)),
    )


def check_attachments(store: Store, limits: Limits, user_id: int, now: datetime, incoming: int) -> None:
    """Refuse ``incoming`` bytes of attachments that would take the user past the quota."""
    quota = limits.attachment_quota_bytes
    if not quota or incoming <= 0:
        return
    since = _iso(now - ATTACHMENT_WINDOW)
    rows = store.execute(
        "SELECT created_at, amount FROM usage WHERE user_id = ? AND kind = 'attachment' AND created_at > ?"
        " ORDER BY created_at",
        (user_id, since),
    ).fetchall()
    used = sum(row["amount"] for row in rows)
    if used + incoming <= quota:
        return
    resets_at = None
    if incoming <= quota:
        remaining = used
        for row in rows:
            remaining -= row["amount"]
            if remaining + incoming <= quota:
                resets_at = _parse(row["created_at"]) + ATTACHMENT_WINDOW
                break
    details = {"limit": "attachment_bytes", "allowed": quota, "used": used}
    if resets_at is not None:
        details.update(
            resets_at=_iso(resets_at), retry_after=max(1, int((resets_at - now).total_seconds() + 0.999))
        )
    raise QuotaExceeded(
        _(
            "Your attachments of the last 30 days take {used} MiB; this file would pass your quota of {quota} MiB."
        ).format(used=f"{used / MiB:.1f}", quota=f"{quota / MiB:g}"),
        **details,
    )


def record(store: Store, user_id: int, kind: str, amount: int, now: datetime) -> None:
    """Count a question (amount 1) or an attachment (its bytes); forget what left every window."""
    store.execute(
        "INSERT INTO usage (user_id, kind, amount, created_at) VALUES (?, ?, ?, ?)",
        (user_id, kind, amount, _iso(now)),
    )
    store.execute(
        "DELETE FROM usage WHERE user_id = ? AND created_at < ?", (user_id, _iso(now - ATTACHMENT_WINDOW))
    )


def _iso(moment: datetime) -> str:
    from .records import iso  # records.py imports this module: read it late

    return iso(moment)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
