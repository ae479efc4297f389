"""The Typer application: global options and the command tree."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .. import __version__
from . import agent, helpcentre, operator, questions
from .context import Context

app = typer.Typer(
    name="vksupport",
    help="Search the VK help centre and talk to support from the command line.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        print(f"vksupport {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    tctx: typer.Context,
    server: Annotated[
        Optional[str],
        typer.Option("--server", help="Desk URL, or 'sandbox' for the embedded one. Default: $VKSUPPORT_SERVER, config, sandbox.", show_default=False),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show details (tracebacks) of errors.", envvar="VKSUPPORT_DEBUG")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours (NO_COLOR is honoured too).")] = False,
    version: Annotated[bool, typer.Option("--version", "-V", help="Print the version and exit.", callback=_print_version, is_eager=True)] = False,
) -> None:
    ctx: Context = tctx.obj
    ctx.server_option = server
    ctx.debug = ctx.debug or debug
    ctx.no_color = no_color


app.command("search-help")(helpcentre.search_help)
app.command("article")(helpcentre.article)
app.command("topics")(helpcentre.topics)
app.command("ask")(questions.ask)
app.command("list")(questions.list_questions)
app.command("show")(questions.show)
app.command("edit")(questions.edit)
app.command("comment")(questions.comment)
app.command("delete")(questions.delete)
app.command("rate")(questions.rate)
app.command("close")(questions.close)
app.command("wait")(questions.wait)
app.add_typer(agent.app, name="agent")
app.add_typer(operator.app, name="desk")
