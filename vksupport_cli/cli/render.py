"""Showing results: one JSON document for scripts, tables and threads for people.

Commands return records; ``emit`` picks the form once for the whole CLI. The
JSON path imports nothing but ``json``; rich is loaded only for people.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..i18n import _, ngettext
from .context import Context

if TYPE_CHECKING:
    from ..desk.models import Question


def status_words() -> dict[str, str]:
    return {
        "waiting": _("waiting"),
        "in_progress": _("in progress"),
        "answered": _("answered"),
        "closed": _("closed"),
    }


LIST_STATUSES = ("all", "open", "waiting", "in_progress", "answered", "closed")


def question_summaries(questions: list[Question]) -> list[dict[str, Any]]:
    """What `list --json` prints: each question without its comments and attachments."""
    summaries = []
    for question in questions:
        data = question.to_dict()
        del data["comments"], data["attachments"]
        summaries.append(data)
    return summaries


STATUS_STYLES = {
    "waiting": "yellow",
    "in_progress": "cyan",
    "answered": "green",
    "closed": "dim",
}


def to_jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list):
        return [to_jsonable(item) for item in value]
    return value


def emit(
    ctx: Context,
    data: Any,
    as_json: bool,
    human: Callable[[Context, Any], None],
    field: str | None = None,
) -> None:
    """Print ``data`` as JSON (``--json``), one field of it (``--field``), or with ``human`` for a person."""
    if field is not None:
        document = to_jsonable(data)
        items = document if isinstance(document, list) else [document]
        ctx.stdout.write("".join(plain_value(pick(item, field)) + "\n" for item in items))
    elif as_json:
        ctx.stdout.write(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2) + "\n")
    else:
        human(ctx, data)


def pick(document: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``status``, ``question.id``, ``comments.0.body``) of a JSON document."""
    from .context import UsageError

    value = document
    for name in path.split("."):
        if isinstance(value, dict) and name in value:
            value = value[name]
        elif isinstance(value, list) and name.isascii() and name.isdigit() and int(name) < len(value):
            value = value[int(name)]
        else:
            names = ", ".join(sorted(value)) if isinstance(value, dict) else ""
            raise UsageError(
                _("There is no field {field!r} in the output; the fields are: {names}.").format(
                    field=path, names=names
                )
                if names
                else _("There is no field {field!r} in the output.").format(field=path)
            )
    return value


def plain_value(value: Any) -> str:
    """A field as a script reads it: text as it is, null as an empty line, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


# -- time -------------------------------------------------------------------


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def span(seconds: float) -> str:
    """A human duration in whole units: '45 seconds', '3 minutes', '5 hours', '2 days'.

    The forms are the ones that follow "ago"/"in"/"for" (in Russian the
    accusative: "1 минуту", "3 минуты", "5 минут").
    """
    seconds = max(0, int(seconds))
    if seconds < 60:
        return ngettext("{n} second", "{n} seconds", seconds).format(n=seconds)
    if seconds < 3600:
        n = seconds // 60
        return ngettext("{n} minute", "{n} minutes", n).format(n=n)
    if seconds < 86400 * 2:
        n = seconds // 3600
        return ngettext("{n} hour", "{n} hours", n).format(n=n)
    n = seconds // 86400
    return ngettext("{n} day", "{n} days", n).format(n=n)


def ago(text: str | None, now: datetime | None = None) -> str:
    if not text:
        return "—"
    now = now or datetime.now(UTC)
    seconds = (now - parse_time(text)).total_seconds()
    if seconds < 10:
        return _("just now")
    return _("{duration} ago").format(duration=span(seconds))


def since(text: str, now: datetime | None = None) -> str:
    """How long since ``text``: the bare duration (a waiting time), or "less than a minute"."""
    now = now or datetime.now(UTC)
    seconds = (now - parse_time(text)).total_seconds()
    if seconds < 60:
        return _("less than a minute")
    return span(seconds)


def answer_due(text: str | None, now: datetime | None = None) -> str:
    """When the answer is due, as a whole clause: 'answer expected in 5 hours' or 'the answer is overdue by 2 hours'."""
    if not text:
        return "—"
    now = now or datetime.now(UTC)
    seconds = (parse_time(text) - now).total_seconds()
    if seconds <= 0:
        return _("the answer is overdue by {duration}").format(duration=span(-seconds))
    return _("answer expected in {duration}").format(duration=span(seconds))


def local_time(text: str | None) -> str:
    if not text:
        return "—"
    return parse_time(text).astimezone().strftime("%Y-%m-%d %H:%M")


def category_name(slug: str, fallback: str | None = None) -> str:
    """A help-centre category as a person reads it, in their language; one this CLI does not know
    (a deployed desk may have its own) is ``fallback`` (the desk's name for it) or its slug."""
    from .. import i18n
    from ..desk.categories import CATEGORIES
    from ..desk.categories import category_name as name_in

    if slug not in CATEGORIES:
        return fallback or slug
    return name_in(slug, i18n.language())


def status_word(status: str) -> str:
    return status_words().get(status, inert(status, line=True))


def styled_status(status: str) -> str:
    return f"[{STATUS_STYLES.get(status, 'white')}]{escape(status_word(status))}[/]"


#: What may not reach a terminal from the desk or another person: C0 controls but
#: tab and newline (ESC starts CSI/OSC sequences, BEL ends OSC, CR rewrites the line,
#: BS rubs characters out), DEL, the C1 controls (U+009B is an 8-bit CSI, U+009D an
#: 8-bit OSC), and the bidirectional marks, embeddings, overrides and isolates that
#: make text read in another order than it is stored.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile("[\n\t\r\u0085\u2028\u2029]+")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ESC shows as ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def inert(text: object, *, line: bool = False) -> str:
    """``text`` from the desk or another person, made harmless for a terminal.

    Every control character and bidi control becomes a visible placeholder, so a
    title cannot clear the screen, set the window title or reorder what follows.
    Newlines and tabs stay (``line``: they become spaces, for one-line fields).
    The one function every human-readable output goes through; ``--json`` keeps
    the exact text.
    """
    value = str(text) if text is not None else ""
    value = value.replace("\r\n", "\n")
    if line:
        value = _BREAKS.sub(" ", value)
    return _UNSAFE.sub(_picture, value)


def escape(text: object, *, line: bool = False) -> str:
    """Text from the desk, inert and with rich's markup escaped: safe to print with rich."""
    from rich.markup import escape as rich_escape

    return rich_escape(inert(text, line=line))


def print_long(ctx: Context, renderables: list[Any]) -> None:
    """Print a long text (an article, a thread): through the pager in a terminal when it would not
    fit on one screen (see Context.pager), straight in a pipe, without trailing blanks."""
    console = ctx.console
    with console.capture() as capture:
        for item in renderables:
            console.print(item)
    text = capture.get()
    if ctx.stdout_is_terminal:
        pager = ctx.pager
        if pager and text.count("\n") > console.size.height - 2 and page(pager, text):
            return
        ctx.stdout.write(text)
        return
    # rich pads each line to the width; a pipe gets the words without trailing blanks.
    ctx.stdout.write("".join(line.rstrip() + "\n" for line in text.splitlines()))


def page(command: list[str], text: str) -> bool:
    """Show ``text`` through the pager ``command``; False if it could not be started."""
    import os
    import subprocess

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # less: quit on one screen, keep colours, leave the text on screen
    env.setdefault("LV", "-c")
    try:
        pager = subprocess.Popen(command, stdin=subprocess.PIPE, env=env)  # noqa: S603 - the person's own pager
    except OSError:
        return False
    try:
        if pager.stdin is None:  # pragma: no cover - stdin=PIPE always gives one
            return False
        pager.stdin.write(text.encode("utf-8", "replace"))
        pager.stdin.close()
    except BrokenPipeError:  # the person quit the pager before the end: fine
        pass
    while True:
        try:
            pager.wait()
            return True
        except KeyboardInterrupt:  # Ctrl-C belongs to the pager (less ignores it); wait for it to end
            continue
