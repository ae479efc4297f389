"""Drafts: nothing the user typed is lost.

Every question, comment or edit is saved here before it is sent and removed
only once the desk confirmed it. A draft also keeps the idempotency key of its
create, so resending after an unknown outcome can never make a second
question. One JSON file per draft in ``<data>/drafts`` (folder 0700, files 0600).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import paths
from .errors import NotFound
from .i18n import _

KINDS = ("ask", "comment", "edit", "answer")
#: Fields holding what the person wrote; "problem" is the help flow's first description.
TEXT_FIELDS = ("title", "body", "problem", "message")


def new_key() -> str:
    """A fresh idempotency key (a random UUID)."""
    import uuid  # only when a draft is made: every command imports this module

    return str(uuid.uuid4())


def folder() -> Path:
    return paths.data_dir() / "drafts"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Draft:
    kind: str  # one of KINDS ("answer": an agent's answer)
    server: str  # "sandbox" or the desk's URL
    id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S-") + os.urandom(2).hex())
    question_id: int | None = None  # what a comment or an edit is for
    fields: dict[str, Any] = field(default_factory=dict)  # topic, title, body, link, kind, attachments...
    idempotency_key: str = field(default_factory=lambda: new_key())
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    last_error: str | None = None
    typed: bool = False  # the text came from prompts or the editor (not only from options)

    @property
    def path(self) -> Path:
        return folder() / f"{self.id}.json"

    @property
    def has_text(self) -> bool:
        """Did the person write anything worth keeping (not just pick a topic)?"""
        return any(str(self.fields.get(name) or "").strip() for name in TEXT_FIELDS)

    def summary(self) -> str:
        text = self.fields.get("title") or self.fields.get("body") or self.fields.get("problem") or ""
        text = " ".join(str(text).split())
        return text if len(text) <= 60 else text[:59] + "…"

    def save(self, *, error: str | None = None) -> None:
        """Write the draft (atomically, readable only by the user)."""
        if error is not None:
            self.last_error = error
        self.updated_at = _now()
        paths.ensure_private_dir(folder())
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, ensure_ascii=False, indent=2)
        os.replace(temporary, self.path)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def all_drafts() -> list[Draft]:
    """Every readable draft, newest first (a damaged file is skipped, never deleted)."""
    found: list[Draft] = []
    if not folder().is_dir():
        return found
    for path in folder().glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(Draft(**data))
        except (OSError, ValueError, TypeError):
            continue
    return sorted(found, key=lambda d: (d.updated_at, d.id), reverse=True)


def get(draft_id: str) -> Draft:
    for draft in all_drafts():
        if draft.id == draft_id:
            return draft
    raise NotFound(_("There is no draft {id!r}; see them with: vksupport drafts list").format(id=draft_id))


def latest(kind: str, server: str, question_id: int | None = None) -> Draft | None:
    for draft in all_drafts():
        if (
            draft.kind == kind
            and draft.server == server
            and (question_id is None or draft.question_id == question_id)
        ):
            return draft
    return None
