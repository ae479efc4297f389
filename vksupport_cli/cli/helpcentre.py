"""Help-centre commands: search-help, article, topics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..i18n import _
from .context import Context
from .render import emit, escape, print_long

if TYPE_CHECKING:
    from ..desk.models import Article, SearchHit, Topic

JsonOption = Annotated[bool, typer.Option("--json", help=_("Print one JSON document for scripts."))]


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

    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column(_("Article"))
    table.add_column(_("Category"))
    table.add_column(_("Slug"), style="dim")
    for number, hit in enumerate(hits, start=1):
        title = escape(hit.title) + (" [green](" + _("you can ask support") + ")[/]" if hit.can_ask else "")
        table.add_row(str(number), title, hit.category, hit.slug)
    ctx.console.print(table)
    ctx.console.print("\n[dim]" + _("Read one with: vksupport article SLUG") + "[/]")


def article(
    tctx: typer.Context,
    slug: Annotated[
        str, typer.Argument(help=_("The article's slug, as search-help shows it."), show_default=False)
    ],
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    emit(ctx, ctx.client.article(slug), as_json, show_article)


def show_article(ctx: Context, item: Article) -> None:
    from rich.markdown import Markdown

    parts = [
        f"[bold]{escape(item.title)}[/]",
        f"[dim]{item.category} · {item.slug}[/]",
        "",
        Markdown(item.body),
    ]
    if item.can_ask:
        parts += [
            "",
            "[green]"
            + _("Not solved? Ask support on this topic:")
            + f"[/] vksupport ask --topic {item.slug}",
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
        table.add_row(topic.slug, escape(topic.title), topic.category)
    ctx.console.print(table)
