"""What the desk accepts from a caller: limits, and the checks that clean text, links, keys and ids.

Each check returns the cleaned value or raises ``BadInput`` with a whole
sentence a person can act on (one sentence per field and problem, for
translation).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ..errors import BadInput, NotFound
from ..i18n import _, ngettext

# Limits a person meets; the README lists them.
TITLE_MAX = 200
BODY_MAX = 20_000
COMMENT_MAX = 20_000
LINK_MAX = 2_048
RATING_COMMENT_MAX = 2_000
NAME_MAX = 64
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_MAX = 10
LIST_LIMIT_MAX = 1_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_id(question_id: int) -> None:
    if isinstance(question_id, bool) or not isinstance(question_id, int) or not 0 < question_id < 2**63:
        raise NotFound(_("There is no question {id}.").format(id=question_id))


def require_text(value: Any) -> str:
    """``value`` if it is a string SQLite can store (no lone surrogates from a broken encoder)."""
    if not isinstance(value, str):
        raise BadInput(_("A text field holds something that is not text."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(_("The text holds characters that are not valid Unicode.")) from None
    return value


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def clean_text(value: str, what: str, limit: int, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise BadInput(_field_problem(what, "not_text"))
    require_text(value)
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text and not allow_empty:
        raise BadInput(_field_problem(what, "empty"))
    if len(text) > limit:
        raise BadInput(_field_problem(what, "too_long", length=len(text), limit=limit))
    return text


def clean_line(value: str, what: str, limit: int) -> str:
    text = " ".join(clean_text(value, what, 10 * limit).split())
    if len(text) > limit:
        raise BadInput(_field_problem(what, "too_long", length=len(text), limit=limit))
    return text


def _field_problem(what: str, problem: str, length: int = 0, limit: int = 0) -> str:
    """What is wrong with a text field, as a whole sentence per field and problem.

    Never "The {what} is empty" with the field's name filled in: other languages
    inflect the name (and what agrees with it), so each field has its own sentences.
    """
    if problem == "not_text":
        sentences = {
            "name": _("The name must be text."),
            "summary": _("The summary must be text."),
            "description": _("The description must be text."),
            "comment": _("The comment must be text."),
            "answer": _("The answer must be text."),
            "rating comment": _("The rating comment must be text."),
        }
    elif problem == "empty":
        sentences = {
            "name": _("The name is empty."),
            "summary": _("The summary is empty."),
            "description": _("The description is empty."),
            "comment": _("The comment is empty."),
            "answer": _("The answer is empty."),
            "rating comment": _("The rating comment is empty."),
        }
    else:
        sentences = {
            "name": ngettext(
                "The name is {length} character long; the limit is {limit}.",
                "The name is {length} characters long; the limit is {limit}.",
                length,
            ),
            "summary": ngettext(
                "The summary is {length} character long; the limit is {limit}.",
                "The summary is {length} characters long; the limit is {limit}.",
                length,
            ),
            "description": ngettext(
                "The description is {length} character long; the limit is {limit}.",
                "The description is {length} characters long; the limit is {limit}.",
                length,
            ),
            "comment": ngettext(
                "The comment is {length} character long; the limit is {limit}.",
                "The comment is {length} characters long; the limit is {limit}.",
                length,
            ),
            "answer": ngettext(
                "The answer is {length} character long; the limit is {limit}.",
                "The answer is {length} characters long; the limit is {limit}.",
                length,
            ),
            "rating comment": ngettext(
                "The rating comment is {length} character long; the limit is {limit}.",
                "The rating comment is {length} characters long; the limit is {limit}.",
                length,
            ),
        }
    return sentences[what].format(length=length, limit=limit)


def clean_link(link: str | None) -> str | None:
    if link is None or not require_text(link).strip():
        return None
    link = link.strip()
    if not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)", link):  # no scheme: "vk.com/id1"
        link = "https://" + link
    if len(link) > LINK_MAX:
        raise BadInput(
            ngettext(
                "The link is longer than {limit} character.",
                "The link is longer than {limit} characters.",
                LINK_MAX,
            ).format(limit=LINK_MAX)
        )
    try:
        parts = urlsplit(link)
    except ValueError as exc:
        raise BadInput(_("The link is not a web address.")) from exc
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s|[\x00-\x1f\x7f]", link):
        raise BadInput(_("The link must be a web address such as https://vk.com/id1."))
    return link


def clean_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= 200 or not key.isprintable():
        raise BadInput(_("An idempotency key is 1 to 200 printable characters."))
    return key
