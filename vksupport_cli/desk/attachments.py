"""Attachments: what a file may be (sniffed from its bytes, never from its claimed name), how many
a question takes, and storing and reading them.

An attachment comes as bytes or as a binary file (the server's spooled upload,
the sandbox's open file): it is checked by reading its head, its tail and, for
text, its whole length in chunks. Its stored name always ends in the extension
of the type its bytes show, whatever name it came with.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from collections.abc import Iterator
from typing import IO

from ..errors import BadInput, Conflict, NotFound
from ..i18n import _, ngettext
from . import limits
from .inputs import ATTACHMENT_MAX_BYTES, ATTACHMENTS_MAX, require_text
from .models import Attachment, User
from .records import DeskPart
from .store import Store

#: What a file name may not keep: every control character and the bidirectional
#: overrides that make "gpj.exe" look like "exe.jpg".
#: How much of an attachment one read takes when it is streamed.
CHUNK_BYTES = 256 * 1024

_NAME_HAZARDS = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class Attachments(DeskPart):
    def attach(self, user: User, question_id: int, filename: str, content: bytes | IO[bytes]) -> Attachment:
        name, content_type, content = check_attachment(filename, content)
        now = self._now()
        with self.store.write():
            limits.check_attachments(self.store, self.limits, user.id, self.clock(), len(content))
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
            limits.record(self.store, user.id, "attachment", len(content), self.clock())
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

    def attachment_chunks(
        self, user: User, question_id: int, attachment_id: int, chunk_size: int = CHUNK_BYTES
    ) -> tuple[Attachment, Iterator[bytes]]:
        """The attachment's record, and its bytes as pieces read one at a time (for streaming).

        Who may read it is checked here, at once; the pieces are read as they are consumed, so a
        download never holds the whole file. If the question is deleted meanwhile, they stop
        short (a reader checks the size and the sha256 of what it got).
        """
        self._own_row(user, question_id)
        found = self._attachments(question_id, attachment_id)
        if not found:
            raise NotFound(
                _("Question {id} has no attachment {attachment}.").format(
                    id=question_id, attachment=attachment_id
                )
            )
        meta = found[0]

        def pieces() -> Iterator[bytes]:
            offset = 0
            while offset < meta.size:
                row = self.store.execute(
                    "SELECT substr(content, ?, ?) FROM attachments WHERE id = ?",
                    (offset + 1, chunk_size, attachment_id),
                ).fetchone()
                if row is None or not row[0]:
                    return
                piece = bytes(row[0])
                offset += len(piece)
                yield piece

        return meta, pieces()


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
#: The extensions a stored name may end in, per sniffed type; the first is the one given.
EXTENSIONS = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "text/plain": TEXT_SUFFIXES,
}
#: A PDF ends with "startxref", the cross-reference offset and "%%EOF" (trailing whitespace and
#: a little junk are common); they must be within this many bytes of the end.
PDF_TAIL = 1024
_PDF_TRAILER = re.compile(rb"startxref\s+\d+\s+%%EOF\s*")
CHUNK = 64 * 1024


def check_attachment(filename: str, content: bytes | IO[bytes]) -> tuple[str, str, bytes]:
    """Validate an attachment; returns (safe file name, sniffed content type, content).

    The type comes from the bytes, not from the name a client claims; the name
    loses any folder part, so it can never point outside where it is saved, and
    ends in the extension of that type ("evil.html" holding a PNG is stored as
    "evil.png"). A file is read in chunks and refused as soon as it passes the limit.
    """
    name = _NAME_HAZARDS.sub("", require_text(filename)).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        raise BadInput(_("An attachment needs a file name."))
    if len(name) > 255:
        raise BadInput(_("An attachment's file name is longer than 255 characters."))
    data = _read_bounded(name, content)
    if not data:
        raise BadInput(_("Attachment {name} is empty.").format(name=name))
    content_type = _sniff(name, data)
    if content_type == "application/pdf" and not _PDF_TRAILER.search(data[-PDF_TAIL:]):
        raise BadInput(
            _(
                "Attachment {name} starts like a PDF but does not end like one (no startxref and %%EOF); "
                "save it again as PDF and attach that."
            ).format(name=name)
        )
    return _with_extension(name, content_type), content_type, data


def _read_bounded(name: str, content: bytes | IO[bytes]) -> bytes:
    """The attachment's bytes, refused past ATTACHMENT_MAX_BYTES without reading much further."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
    elif hasattr(content, "read"):
        buffer = io.BytesIO()
        while chunk := content.read(CHUNK):
            if not isinstance(chunk, (bytes, bytearray)):
                raise BadInput(_("Attachment {name} has no content.").format(name=name))
            buffer.write(chunk)
            if buffer.tell() > ATTACHMENT_MAX_BYTES:
                break
        data = buffer.getvalue()
    else:
        raise BadInput(_("Attachment {name} has no content.").format(name=name))
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise BadInput(
            _("Attachment {name} is {size} MiB; the limit is {limit} MiB.").format(
                name=name, size=f"{len(data) / 1048576:.1f}", limit=ATTACHMENT_MAX_BYTES // 1048576
            )
        )
    return data


def _sniff(name: str, data: bytes) -> str:
    for magic, content_type in _SIGNATURES:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if name.lower().endswith(TEXT_SUFFIXES) and _is_utf8(data):
        return "text/plain"
    raise BadInput(
        _(
            "Attachment {name} is not a PNG, JPEG, GIF or WebP picture, a PDF, or a UTF-8 .txt/.log file."
        ).format(name=name)
    )


def _is_utf8(data: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), CHUNK):
            decoder.decode(data[start : start + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _with_extension(name: str, content_type: str) -> str:
    """``name`` ending in an extension of ``content_type``: the last one replaced if it is another."""
    allowed = EXTENSIONS[content_type]
    if name.lower().endswith(allowed):
        return name
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and 0 < len(suffix) <= 10 and " " not in suffix:
        name = stem  # "evil.html" -> "evil"; "report 2024" keeps its words
    return name[: 255 - len(allowed[0])] + allowed[0]
