"""`vksupport drafts`: what was composed but not (yet) sent."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import drafts
from ..i18n import _, ngettext
from .context import Context, UsageError
from .helpcentre import JsonOption
from .render import ago, emit, escape

app = typer.Typer(
    help=_("Texts that were composed but not sent: list, show, discard."),
    no_args_is_help=True,
    suggest_commands=False,
)

DraftId = Annotated[
    str, typer.Argument(help=_("The draft's id, as `vksupport drafts list` shows it."), show_default=False)
]

RESEND = {
    "ask": "vksupport ask --resume {id}",
    "comment": "vksupport comment {question_id} --resume {id}",
    "edit": "vksupport edit {question_id} --resume {id}",
    "answer": "vksupport drafts show {id}",
}


def resend_command(draft: drafts.Draft) -> str:
    return RESEND[draft.kind].format(id=draft.id, question_id=draft.question_id)


@app.command("list", help=_("List unsent drafts, newest first."))
def list_drafts(tctx: typer.Context, as_json: JsonOption = False) -> None:
    ctx: Context = tctx.obj
    emit(ctx, drafts.all_drafts(), as_json, _show_list)


def _show_list(ctx: Context, items: list[drafts.Draft]) -> None:
    if not items:
        ctx.note(_("No drafts: everything you wrote was sent."))
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for number, name in enumerate((_("Draft"), _("Kind"), _("Question"), _("Text"), _("Saved"), _("Desk"))):
        table.add_column(name, no_wrap=number != 3)
    for draft in items:
        table.add_row(
            draft.id,
            kind_word(draft.kind),
            str(draft.question_id or "—"),
            escape(draft.summary()),
            ago(draft.updated_at),
            draft.server,
        )
    ctx.console.print(table)


@app.command(help=_("Show a draft in full."))
def show(tctx: typer.Context, draft_id: DraftId, as_json: JsonOption = False) -> None:
    ctx: Context = tctx.obj
    emit(ctx, drafts.get(draft_id), as_json, _show_one)


def _show_one(ctx: Context, draft: drafts.Draft) -> None:
    console = ctx.console
    console.print(
        "[bold]"
        + _("Draft {id}").format(id=draft.id)
        + "[/] "
        + _("({kind}, saved {ago}, for {desk})").format(
            kind=kind_word(draft.kind), ago=ago(draft.updated_at), desk=draft.server
        )
    )
    labels = field_words()
    for name, value in draft.fields.items():
        if value in (None, "", []):
            continue
        shown = "\n".join(value) if isinstance(value, list) else str(value)
        console.print(f"\n[dim]{labels.get(name, name)}:[/]\n{escape(shown)}")
    if draft.last_error:
        console.print(
            "\n[dim]" + _("Not sent yet: {reason}.").format(reason=failure_words(draft.last_error)) + "[/]"
        )
    console.print("\n" + _("Send it with: {command}").format(command=resend_command(draft)))


@app.command(help=_("Delete a draft for good; or every draft (--all), or those older than a time."))
def discard(
    tctx: typer.Context,
    draft_id: Annotated[
        str | None,
        typer.Argument(
            help=_("The draft's id, as `vksupport drafts list` shows it."), show_default=False, metavar="ID"
        ),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help=_("Discard every draft."))] = False,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            help=_("Discard drafts saved longer ago than this: 30m, 12h, 7d."),
            metavar="AGE",
            show_default=False,
        ),
    ] = None,
) -> None:
    ctx: Context = tctx.obj
    if draft_id is not None:
        if every or older_than is not None:
            raise UsageError(_("Give a draft id, or --all/--older-than, not both."))
        drafts.get(draft_id).discard()
        ctx.console.print(_("Draft {id} is discarded.").format(id=draft_id))
        return
    if not every and older_than is None:
        raise UsageError(_("Say which drafts to discard: an id, --all, or --older-than AGE."))
    cutoff = None if older_than is None else _cutoff(older_than)
    gone = 0
    for draft in drafts.all_drafts():
        if cutoff is None or draft.updated_at < cutoff:
            draft.discard()
            gone += 1
    ctx.console.print(ngettext("Discarded {n} draft.", "Discarded {n} drafts.", gone).format(n=gone))


def _cutoff(age: str) -> str:
    """The draft timestamp before which a draft is older than ``age`` (30m, 12h, 7d)."""
    from datetime import UTC, datetime, timedelta

    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    number, unit = age.strip()[:-1], age.strip()[-1:].lower()
    if unit not in units or not (number.isascii() and number.isdigit()) or len(number) > 6:
        raise UsageError(_("Give the age as a number and a unit: 30m, 12h or 7d."))
    moment = datetime.now(UTC) - timedelta(**{units[unit]: int(number)})
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def kind_word(kind: str) -> str:
    return {"ask": _("question"), "comment": _("comment"), "edit": _("edit"), "answer": _("answer")}.get(
        kind, kind
    )


def failure_words(error: str) -> str:
    """Why the last attempt did not send the draft, as a clause: a draft keeps the error's class name
    and reason (``NotEditable:closed``, the same in every language); a person reads what it means."""
    words = {
        "NotEditable": _("an agent has taken the question, so it can no longer be changed"),
        "NotEditable:taken": _("an agent has taken the question, so it can no longer be changed"),
        "NotEditable:closed": _("the question is closed"),
        "Conflict:closed": _("the question is closed"),
        "NotAccepting": _("the desk was not accepting new questions"),
        "RateLimited": _("the desk asked to slow down"),
        "Unavailable": _("the desk could not be reached"),
        "NotSignedIn": _("you were not signed in"),
        "OpenQuestionExists": _("you already had an open question"),
        "IdempotencyMismatch": _("an earlier send of this draft had already made another request"),
        "Conflict": _("the question's state did not allow it"),
        "NotFound": _("the question was not found"),
        "NotAllowed": _("your account may not do this"),
        "BadInput": _("the desk did not accept the text"),
        "UsageError": _("a value was missing or wrong"),
        "Aborted": _("you chose not to send it"),
        "Abort": _("it was interrupted"),
        "KeyboardInterrupt": _("it was interrupted"),
        "EOFError": _("it was interrupted"),
    }
    return words.get(error) or words.get(error.partition(":")[0]) or _("an unexpected error")


def field_words() -> dict[str, str]:
    return {
        "topic": _("Topic"),
        "title": _("Summary"),
        "body": _("Text"),
        "link": _("Link"),
        "problem": _("The problem in a few words"),
        "message": _("Text"),
        "attachments": _("Attachments"),
        "kind": _("Kind"),
    }
