"""The sandbox's agent: play support's side of a question on one machine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..drafts import Draft
from ..i18n import _
from . import compose
from .context import Context
from .helpcentre import JsonOption
from .questions import BodyFileOption, BodyOption, QuestionId, keeping, show_question
from .render import ago, emit, escape

if TYPE_CHECKING:
    from ..desk.models import Question

app = typer.Typer(
    help=_("Play the support agent (in the sandbox): take, answer, see the queue."),
    no_args_is_help=True,
    suggest_commands=False,
)


@app.command(help=_("Take a waiting question from the queue: advertisers first, otherwise at random."))
def take(tctx: typer.Context, as_json: JsonOption = False) -> None:
    ctx: Context = tctx.obj
    question = ctx.client.agent_take()
    if question is None and not as_json:
        ctx.note(_("The queue is empty."))
        return
    emit(ctx, question, as_json, show_question)


@app.command(help=_("Answer a question you have taken."))
def answer(
    tctx: typer.Context,
    question_id: QuestionId,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    text = compose.body_from(ctx, body, body_file)
    if text is None:
        compose.require_terminal(ctx, "--body")
    draft = Draft(kind="answer", server=ctx.server, question_id=question_id, fields={"body": text or ""})
    with keeping(ctx, draft):
        if not text:
            text = compose.edit(ctx, draft, "body", "")
        answered = ctx.client.agent_answer(question_id, text)
    emit(
        ctx, answered, as_json, lambda c, q: c.console.print(_("Question #{id} is answered.").format(id=q.id))
    )


@app.command(help=_("List the waiting questions, advertisers first, then oldest first."))
def queue(
    tctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help=_("At most this many."))] = 100,
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    emit(ctx, ctx.client.agent_queue(limit=limit), as_json, _show_queue)


def _show_queue(ctx: Context, questions: list[Question]) -> None:
    if not questions:
        ctx.note(_("The queue is empty."))
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for number, name in enumerate(
        (_("ID"), _("Kind"), _("Topic"), _("Summary"), _("Author"), _("In the queue since"))
    ):
        table.add_column(name, no_wrap=number != 3)
    kinds = {"ads": _("advertiser"), "standard": _("standard")}
    for q in questions:
        table.add_row(
            str(q.id),
            escape(kinds.get(q.kind, q.kind), line=True),
            escape(q.topic, line=True),
            escape(q.title, line=True),
            escape(q.author, line=True),
            ago(q.queued_at),
        )
    ctx.console.print(table)
