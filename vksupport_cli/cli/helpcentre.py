"""Help-centre commands: search-help, article, topics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..i18n import _
from . import complete
from .context import Context
from .render import category_name, emit, escape, inert, print_long

if TYPE_CHECKING:
    from ..desk.models import Article, SearchHit, Topic

JsonOption = Annotated[bool, typer.Option("--json", help=_("Print one JSON document for scripts."))]
FieldOption = Annotated[
    str | None,
    typer.Option(
        "--field",
        help=_("Print only this field of the JSON output, as plain text (e.g. status; question.id)."),
        metavar="NAME",
        show_default=False,
    ),
]


def search_help(
    tctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            help=_("What to look for, in your own words (Russian or English)."), show_default=False
        ),
    ],
    category: Annotated[
        str | None, typer.Option("--category", "-c", help=_("Only articles of this category."))
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=100, help=_("How many articles to show."))
    ] = 10,
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    hits = ctx.client.search_help(query, category=category, limit=limit)
    emit(ctx, hits, as_json, _show_hits)


def _show_hits(ctx: Context, hits: list[SearchHit]) -> None:
    if not hits:
        ctx.note(_("Nothing found. Try other words, or list the topics with: vksupport topics"))
        return
    from rich.table import Table

    if hits[0].interpreted_as:
        ctx.console.print(
            "[dim]" + _("Showing results for: {query}").format(query=escape(hits[0].interpreted_as)) + "[/]\n"
        )
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column(_("Article"))
    table.add_column(_("Category"))
    table.add_column(_("Slug"), style="dim")
    # Whether one may write to support has a column of its own: glued to a Russian title, an
    # English remark reads as part of it.
    table.add_column(_("Support"), style="green")
    for number, hit in enumerate(hits, start=1):
        table.add_row(
            str(number),
            escape(hit.title, line=True),
            escape(category_name(hit.category), line=True),
            escape(hit.slug, line=True),
            _("you can ask support") if hit.can_ask else "",
        )
    ctx.console.print(table)
    ctx.console.print("\n[dim]" + _("Read one with: vksupport article SLUG") + "[/]")


def article(
    tctx: typer.Context,
    slug: Annotated[
        str,
        typer.Argument(
            help=_("The article's slug, as search-help shows it."),
            metavar="SLUG",
            show_default=False,
            autocompletion=complete.articles,
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    emit(ctx, ctx.client.article(slug), as_json, show_article)


def show_article(ctx: Context, item: Article) -> None:
    from rich.markdown import Markdown

    parts = [
        f"[bold]{escape(item.title, line=True)}[/]",
        f"[dim]{escape(category_name(item.category), line=True)} · {escape(item.slug, line=True)}[/]",
        "",
        Markdown(inert(item.body)),
    ]
    if item.can_ask:
        parts += [
            "",
            "[green]"
            + _("Not solved? Ask support on this topic:")
            + f"[/] vksupport ask --topic {escape(item.slug, line=True)}",
        ]
    print_long(ctx, parts)


def topics(tctx: typer.Context, as_json: JsonOption = False) -> None:
    ctx: Context = tctx.obj
    emit(ctx, ctx.client.topics(), as_json, _show_topics)


def _show_topics(ctx: Context, items: list[Topic]) -> None:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column(_("Topic"))
    table.add_column(_("What it is about"))
    table.add_column(_("Category"), style="dim")
    for topic in items:
        title = category_name(topic.slug, topic.title) if topic.kind == "category" else topic.title
        table.add_row(
            escape(topic.slug, line=True),
            escape(title, line=True),
            escape(category_name(topic.category), line=True),
        )
    ctx.console.print(table)
