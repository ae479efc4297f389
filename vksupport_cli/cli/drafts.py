"""`vksupport drafts`: what was composed but not (yet) sent."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import drafts
from .context import Context
from .helpcentre import JsonOption
from .render import ago, emit, escape

app = typer.Typer(help="Texts that were composed but not sent: list, show, discard.", no_args_is_help=True)

DraftId = Annotated[str, typer.Argument(help="The draft's id, as `vksupport drafts list` shows it.")]

RESEND = {
    "ask": "vksupport ask --resume {id}",
    "comment": "vksupport comment {question_id} --resume {id}",
    "edit": "vksupport edit {question_id} --resume {id}",
    "answer": "vksupport agent answer {question_id} --body-file -   (paste it from: vksupport drafts show {id})",
}


def resend_command(draft: drafts.Draft) -> str:
    return RESEND[draft.kind].format(id=draft.id, question_id=draft.question_id)


@app.command("list")
def list_drafts(tctx: typer.Context, as_json: JsonOption = False) -> None:
    """List unsent drafts, newest first."""
    ctx: Context = tctx.obj
    emit(ctx, drafts.all_drafts(), as_json, _show_list)


def _show_list(ctx: Context, items: list[drafts.Draft]) -> None:
    if not items:
        ctx.note("No drafts: everything you wrote was sent.")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("Draft", "Kind", "Question", "Text", "Saved", "Desk"):
        table.add_column(name, no_wrap=name != "Text")
    for draft in items:
        table.add_row(
            draft.id, draft.kind, str(draft.question_id or "—"), escape(draft.summary()), ago(draft.updated_at), draft.server
        )
    ctx.console.print(table)


@app.command()
def show(tctx: typer.Context, draft_id: DraftId, as_json: JsonOption = False) -> None:
    """Show a draft in full."""
    ctx: Context = tctx.obj
    emit(ctx, drafts.get(draft_id), as_json, _show_one)


def _show_one(ctx: Context, draft: drafts.Draft) -> None:
    console = ctx.console
    console.print(f"[bold]Draft {draft.id}[/] ({draft.kind}, saved {ago(draft.updated_at)}, for {draft.server})")
    for name, value in draft.fields.items():
        if value in (None, "", []):
            continue
        shown = "\n".join(value) if isinstance(value, list) else str(value)
        console.print(f"\n[dim]{name}:[/]\n{escape(shown)}")
    if draft.last_error:
        console.print(f"\n[dim]last attempt failed: {draft.last_error}[/]")
    console.print(f"\nSend it with: {resend_command(draft)}")


@app.command()
def discard(tctx: typer.Context, draft_id: DraftId) -> None:
    """Delete a draft for good."""
    ctx: Context = tctx.obj
    drafts.get(draft_id).discard()
    ctx.console.print(f"Draft {draft_id} is discarded.")
