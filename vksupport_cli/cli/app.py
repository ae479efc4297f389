"""The Typer application: global options and the command tree."""

from __future__ import annotations

from typing import Annotated, Any

import click
import typer
import typer.core

from .. import __version__
from ..i18n import _
from . import agent, auth, drafts, helpcentre, operator, questions
from .context import Context


class DeskGroup(typer.core.TyperGroup):
    """Runs a command and turns any failure into its sentence and exit code (main.report).

    Click's own usage errors pass through: click prints them with the usage line.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.UsageError):
            raise
        except BaseException as error:
            from .main import report

            raise click.exceptions.Exit(report(ctx.obj, error)) from error


def _translate_completion_help() -> None:
    """Typer's --install-completion/--show-completion help is plain English (not through gettext):
    put our catalogue's words on the placeholders Typer builds those options from."""
    import typer.completion

    words = {
        "Install completion for the current shell.": _("Install completion for the current shell."),
        "Show completion for the current shell, to copy it or customize the installation.": _(
            "Show completion for the current shell, to copy it or customize the installation."
        ),
        "Install completion for the specified shell.": _("Install completion for the specified shell."),
        "Show completion for the specified shell, to copy it or customize the installation.": _(
            "Show completion for the specified shell, to copy it or customize the installation."
        ),
    }
    for name in (
        "_install_completion_placeholder_function",
        "_install_completion_no_auto_placeholder_function",
    ):
        for default in getattr(getattr(typer.completion, name, None), "__defaults__", None) or ():
            english = getattr(default, "help", None)
            if english in words:  # another Typer version may have other words: they stay English
                default.help = words[english]


_translate_completion_help()

app = typer.Typer(
    name="vksupport",
    cls=DeskGroup,
    help=_("Search the VK help centre and talk to support from the command line."),
    no_args_is_help=True,
    add_completion=True,
    # click names close matches itself, in our language; Typer would add an English copy.
    suggest_commands=False,
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
        str | None,
        typer.Option(
            "--server",
            help=_(
                "Desk URL, or 'sandbox' for the embedded one. Default: $VKSUPPORT_SERVER, config, sandbox."
            ),
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help=_("Show details (tracebacks) of errors. Also $VKSUPPORT_DEBUG=1."),
            envvar="VKSUPPORT_DEBUG",
        ),
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help=_("No colours (NO_COLOR is honoured too)."))
    ] = False,
    insecure: Annotated[
        bool, typer.Option("--insecure", help=_("Allow plain http:// to a desk that is not on this machine."))
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", help=_("Print the version and exit."), callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    if tctx.obj is None:
        tctx.obj = Context()
    ctx: Context = tctx.obj
    ctx.server_option = server
    ctx.debug = debug
    ctx.no_color = no_color
    ctx.insecure = insecure


app.command(
    "search-help",
    help=_("Search the help centre: typos, word forms, wrong keyboard layout and English all work."),
)(helpcentre.search_help)
app.command("article", help=_("Show one help-centre article."))(helpcentre.article)
app.command(
    "topics", help=_("List the topics a question can be asked on: articles that allow it, and categories.")
)(helpcentre.topics)
app.command(
    "ask", help=_("Ask support a question: see matching help articles first, then write to support.")
)(questions.ask)
app.command("list", help=_("List my questions, newest first."))(questions.list_questions)
app.command("show", help=_("Show a question's whole thread: question, comments, answer, rating."))(
    questions.show
)
app.command("edit", help=_("Change a question while no agent has taken it (summary, description, link)."))(
    questions.edit
)
app.command(
    "comment", help=_("Add details to a question; on an answered one it is a follow-up that reopens it.")
)(questions.comment)
app.command("delete", help=_("Delete a question no agent has taken yet; it is gone for good."))(
    questions.delete
)
app.command("rate", help=_("Rate the answer to a question, good or bad; this closes the question."))(
    questions.rate
)
app.command("close", help=_("Close a question without rating it; it stays in your history."))(questions.close)
app.command("wait", help=_("Wait until support answers a question (exit 0), or until --timeout (exit 7)."))(
    questions.wait
)
app.add_typer(drafts.app, name="drafts")
app.add_typer(auth.app, name="auth")
app.add_typer(agent.app, name="agent")
app.add_typer(operator.app, name="desk")
