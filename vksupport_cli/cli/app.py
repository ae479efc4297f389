"""The Typer application: global options and the command tree."""

from __future__ import annotations

from typing import Annotated, Any

import click
import typer
import typer.core

from .. import __version__
from ..i18n import _
from . import clickwords
from .context import Context


class DeskGroup(typer.core.TyperGroup):
    """Runs a command and turns any failure into its sentence and exit code (main.report).

    Click's own usage errors pass through: click prints them with the usage line.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(commands())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, built when first needed, accepting the global options after its name too."""
        from .examples import document
        from .globals import accept_globals

        command = build(cmd_name)
        if command is None:
            return None
        document(command, cmd_name)
        return accept_globals(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the table: `vksupport --help` imports none of the commands."""
        from gettext import gettext

        rows = [(name, help_text or "") for name, (_m, _a, help_text) in commands().items()]
        with formatter.section(gettext("Commands")):
            formatter.write_dl(rows)

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
clickwords.install()

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
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager", help=_("Print long texts straight, without a pager ($VKSUPPORT_PAGER, $PAGER).")
        ),
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
    as_json: Annotated[bool, typer.Option("--json", hidden=True)] = False,
) -> None:
    if tctx.obj is None:
        tctx.obj = Context()
    ctx: Context = tctx.obj
    ctx.server_option = server
    ctx.debug = debug
    ctx.no_color = no_color
    ctx.insecure = insecure
    ctx.no_pager = no_pager
    ctx.json = as_json


def commands() -> dict[str, tuple[str, str, str | None]]:
    """The command tree: name -> (module, attribute, help). A function is a command; a Typer
    app, a group of commands (its help is its own). Nothing here is imported until needed."""
    return {
        "search-help": (
            "helpcentre",
            "search_help",
            _("Search the help centre: typos, word forms, wrong keyboard layout and English all work."),
        ),
        "article": ("helpcentre", "article", _("Show one help-centre article.")),
        "topics": (
            "helpcentre",
            "topics",
            _("List the topics a question can be asked on: articles that allow it, and categories."),
        ),
        "ask": (
            "questions",
            "ask",
            _("Ask support a question: see matching help articles first, then write to support."),
        ),
        "list": ("questions", "list_questions", _("List my questions, newest first.")),
        "show": (
            "questions",
            "show",
            _("Show a question's whole thread: question, comments, answer, rating."),
        ),
        "edit": (
            "questions",
            "edit",
            _("Change a question while no agent has taken it (summary, description, link)."),
        ),
        "comment": (
            "questions",
            "comment",
            _("Add details to a question; on an answered one it is a follow-up that reopens it."),
        ),
        "delete": (
            "questions",
            "delete",
            _("Delete a question no agent has taken yet; it is gone for good."),
        ),
        "rate": (
            "questions",
            "rate",
            _("Rate the answer to a question, good or bad; this closes the question."),
        ),
        "close": ("questions", "close", _("Close a question without rating it; it stays in your history.")),
        "wait": (
            "questions",
            "wait",
            _("Wait until support answers a question (exit 0), or until --timeout (exit 7)."),
        ),
        "attachment": ("attachments", "app", _("Files attached to your questions: download them.")),
        "drafts": ("drafts", "app", _("Texts that were composed but not sent: list, show, discard.")),
        "auth": ("auth", "app", _("Sign in to a desk, see who you are, sign out.")),
        "config": ("settings", "app", _("See and change your settings (config.toml): server, pager, color.")),
        "agent": ("agent", "app", _("Play the support agent (in the sandbox): take, answer, see the queue.")),
        "desk": (
            "operator",
            "app",
            _("Run and manage a desk: its help centre and whether it takes questions."),
        ),
    }


_built: dict[tuple[str, str], click.Command] = {}


def build(name: str) -> click.Command | None:
    """The click command for ``name``, made by Typer from its module the first time it is needed."""
    import importlib

    entry = commands().get(name)
    if entry is None:
        return None
    module_name, attribute, help_text = entry
    key = (name, help_text or "")
    if key not in _built:
        target = getattr(importlib.import_module(f"{__package__}.{module_name}"), attribute)
        # A Typer app of one callback and this one command or group: Typer makes it exactly as
        # app.command()/app.add_typer() on the root would.
        holder = typer.Typer(add_completion=False)
        holder.callback()(_nothing)
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=name, help=help_text)
        else:
            holder.command(name, help=help_text)(target)
        group = typer.main.get_command(holder)
        if not isinstance(group, click.Group):  # pragma: no cover - Typer builds a group around a callback
            raise TypeError(f"Typer made {type(group).__name__} for {name}, not a group")
        _built[key] = group.commands[name]
    return _built[key]


def _nothing() -> None:
    """The holder's callback (never run): it makes Typer build a group around the command."""
