"""Attachments: what a file may be (sniffed from its bytes, never from its claimed name), how many
a question takes, and storing and reading them."""

from __future__ import annotations

import hashlib
import re

from ..errors import BadInput, Conflict, NotFound
from ..i18n import _, ngettext
from .inputs import ATTACHMENT_MAX_BYTES, ATTACHMENTS_MAX, require_text
from .models import Attachment, User
from .records import DeskPart
from .store import Store

#: What a file name may not keep: every control character and the bidirectional
#: overrides that make "gpj.exe" look like "exe.jpg".
_NAME_HAZARDS = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class Attachments(DeskPart):
    def attach(self, user: User, question_id: int, filename: str, content: bytes) -> Attachment:
        name, content_type, content = check_attachment(filename, content)
        now = self._now()
        with self.store.write():
            row = self._own_row(user, question_id, authored=True)
            if row["status"] == "closed":
                raise Conflict(
                    _("Question {id} is closed; ask a new question instead.").format(id=question_id),
                    reason="closed",
                )
            count = self.store.execute(
                "SELECT count(*) FROM attachments WHERE question_id = ?", (question_id,)
            ).fetchone()[0]
            if count >= ATTACHMENTS_MAX:
                raise BadInput(too_many_attachments())
            attachment_id = store_attachment(self.store, question_id, name, content_type, content, now)
            self.store.execute("UPDATE questions SET updated_at = ? WHERE id = ?", (now, question_id))
        return self._attachments(question_id, attachment_id)[0]

    def attachment_content(
        self, user: User, question_id: int, attachment_id: int
    ) -> tuple[Attachment, bytes]:
        self._own_row(user, question_id)
        found = self._attachments(question_id, attachment_id)
        if not found:
            raise NotFound(
                _("Question {id} has no attachment {attachment}.").format(
                    id=question_id, attachment=attachment_id
                )
            )
        content = self.store.execute(
            "SELECT content FROM attachments WHERE id = ?", (attachment_id,)
        ).fetchone()[0]
        return found[0], bytes(content)


def store_attachment(
    store: Store, question_id: int, name: str, content_type: str, content: bytes, now: str
) -> int:
    return store.insert(
        "INSERT INTO attachments (question_id, filename, content_type, size, sha256,"
        " content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            question_id,
            name,
            content_type,
            len(content),
            hashlib.sha256(content).hexdigest(),
            content,
            now,
        ),
    )


def too_many_attachments() -> str:
    return ngettext(
        "A question takes at most {n} attachment.",
        "A question takes at most {n} attachments.",
        ATTACHMENTS_MAX,
    ).format(n=ATTACHMENTS_MAX)


#: (magic prefix, content type) of the binary kinds an attachment may be.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]
ATTACHMENT_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain")
TEXT_SUFFIXES = (".txt", ".log")


def check_attachment(filename: str, content: bytes) -> tuple[str, str, bytes]:
    """Validate an attachment; returns (safe file name, sniffed content type, content).

    The type comes from the bytes, not from the name a client claims, and the
    name loses any folder part so it can never point outside where it is saved.
    """
    name = _NAME_HAZARDS.sub("", require_text(filename)).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        raise BadInput(_("An attachment needs a file name."))
    if len(name) > 255:
        raise BadInput(_("An attachment's file name is longer than 255 characters."))
    if not isinstance(content, (bytes, bytearray)):
        raise BadInput(_("Attachment {name} has no content.").format(name=name))
    if not content:
        raise BadInput(_("Attachment {name} is empty.").format(name=name))
    if len(content) > ATTACHMENT_MAX_BYTES:
        raise BadInput(
            _("Attachment {name} is {size} MiB; the limit is {limit} MiB.").format(
                name=name, size=f"{len(content) / 1048576:.1f}", limit=ATTACHMENT_MAX_BYTES // 1048576
            )
        )
    content = bytes(content)
    for magic, content_type in _SIGNATURES:
        if content.startswith(magic):
            return name, content_type, content
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return name, "image/webp", content
    if name.lower().endswith(TEXT_SUFFIXES):
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return name, "text/plain", content
    raise BadInput(
        _(
            "Attachment {name} is not a PNG, JPEG, GIF or WebP picture, a PDF, or a UTF-8 .txt/.log file."
        ).format(name=name)
    )
