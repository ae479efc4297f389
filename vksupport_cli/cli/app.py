"""The Typer application: global options and the command tree."""

from __future__ import annotations

from typing import Annotated, Optional

import click
import typer
import typer.core

from .. import __version__
from . import agent, auth, drafts, helpcentre, operator, questions
from .context import Context


class DeskGroup(typer.core.TyperGroup):
    """Runs a command and turns any failure into its sentence and exit code (main.report).

    Click's own usage errors pass through: click prints them with the usage line.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.UsageError):
            raise
        except BaseException as error:  # noqa: BLE001
            from .main import report

            raise click.exceptions.Exit(report(ctx.obj, error)) from error


app = typer.Typer(
    name="vksupport",
    cls=DeskGroup,
    help="Search the VK help centre and talk to support from the command line.",
    no_args_is_help=True,
    add_completion=True,
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
    debug: Annotated[bool, typer.Option("--debug", help="Show details (tracebacks) of errors. Also $VKSUPPORT_DEBUG=1.", envvar="VKSUPPORT_DEBUG")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours (NO_COLOR is honoured too).")] = False,
    insecure: Annotated[bool, typer.Option("--insecure", help="Allow plain http:// to a desk that is not on this machine.")] = False,
    version: Annotated[bool, typer.Option("--version", "-V", help="Print the version and exit.", callback=_print_version, is_eager=True)] = False,
) -> None:
    if tctx.obj is None:
        tctx.obj = Context()
    ctx: Context = tctx.obj
    ctx.server_option = server
    ctx.debug = debug
    ctx.no_color = no_color
    ctx.insecure = insecure


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
app.add_typer(drafts.app, name="drafts")
app.add_typer(auth.app, name="auth")
app.add_typer(agent.app, name="agent")
app.add_typer(operator.app, name="desk")
