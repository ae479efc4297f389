"""Showing results: one JSON document for scripts, tables and threads for people.

Commands return records; ``emit`` picks the form once for the whole CLI. The
JSON path imports nothing but ``json``; rich is loaded only for people.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..i18n import _, ngettext
from .context import Context


def status_words() -> dict[str, str]:
    return {
        "waiting": _("waiting"),
        "in_progress": _("in progress"),
        "answered": _("answered"),
        "closed": _("closed"),
    }


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


def emit(ctx: Context, data: Any, as_json: bool, human: Callable[[Context, Any], None]) -> None:
    """Print ``data`` as JSON (``--json``) or with ``human`` for a person."""
    if as_json:
        ctx.stdout.write(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2) + "\n")
    else:
        human(ctx, data)


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
    """How long since ``text``: the bare duration (a waiting time)."""
    now = now or datetime.now(UTC)
    return span((now - parse_time(text)).total_seconds())


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


def status_word(status: str) -> str:
    return status_words().get(status, status)


def styled_status(status: str) -> str:
    return f"[{STATUS_STYLES.get(status, 'white')}]{status_word(status)}[/]"


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def print_long(ctx: Context, renderables: list[Any]) -> None:
    """Print to a terminal, through a pager when it would not fit on one screen."""
    console = ctx.console
    if ctx.interactive:
        with console.capture() as capture:
            for item in renderables:
                console.print(item)
        text = capture.get()
        if text.count("\n") > console.size.height - 2:
            with console.pager(styles=ctx.color):
                console.print(text, end="", markup=False, highlight=False)
            return
        ctx.stdout.write(text)
        return
    for item in renderables:
        console.print(item)
