"""The entry point, and the one place that turns failures into a sentence and an exit code.

``vksupport --version`` answers before Typer is even imported: scripts call it
to check the tool is there, and it should cost no more than Python starting.
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING

from .. import __version__

if TYPE_CHECKING:
    from ..errors import DeskError
    from .context import Context


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args in (["--version"], ["-V"]):
        print(f"vksupport {__version__}")
        return 0
    return run(args)


def run(args: list[str], ctx: Context | None = None) -> int:
    """Run one command line; returns the exit code (see exits.py)."""
    from .. import i18n
    from ..i18n import _

    i18n.setup()  # before click and Typer are imported: they translate their words at import
    if not _is_terminal(sys.stdout):
        # Typer's rich help costs ~150 modules; a pipe gets the same words as plain text.
        os.environ.setdefault("TYPER_USE_RICH", "0")
    import click
    import typer.main

    from . import exits
    from .app import app
    from .context import Context

    ctx = ctx or Context()
    try:
        command = typer.main.get_command(app)
        code = command.main(args=args, prog_name="vksupport", obj=ctx, standalone_mode=False)
        return code if isinstance(code, int) else exits.OK
    except click.UsageError as error:
        if error.ctx is not None:
            print(error.ctx.get_usage(), file=ctx.stderr)
            hint = _("Try '{command} --help' for help.").format(command=error.ctx.command_path)
        else:
            hint = _("Try '{command} --help' for help.").format(command="vksupport")
        return report(ctx, click.UsageError(f"{error.format_message()}\n{hint}"))
    except BaseException as error:  # noqa: BLE001 - everything becomes a sentence and a code
        return report(ctx, error)
    finally:
        ctx.close()


def report(ctx: Context, error: BaseException) -> int:
    """Print ``error`` as one sentence on stderr (details with --debug); return its exit code."""
    import click

    from ..errors import DeskError
    from ..i18n import _
    from . import exits
    from .context import Aborted, UsageError, WaitTimedOut

    if isinstance(error, BrokenPipeError):
        # The reader went away (`| head`): nothing left to say, and not our failure.
        sys.stderr = None
        return exits.OK
    if isinstance(error, SystemExit):
        raise error
    if isinstance(error, DeskError):
        message, code = describe(error), exits.for_error(error)
    elif isinstance(error, (click.UsageError, UsageError)):
        message, code = (
            (error.format_message() if isinstance(error, click.UsageError) else str(error)),
            exits.USAGE,
        )
    elif isinstance(error, (click.Abort, KeyboardInterrupt, EOFError)):
        message, code = _("Interrupted; nothing more was sent."), exits.INTERRUPTED
    elif isinstance(error, Aborted):
        message, code = str(error), exits.ERROR
    elif isinstance(error, WaitTimedOut):
        message, code = str(error), exits.TIMEOUT
    elif isinstance(error, click.ClickException):
        message, code = error.format_message(), exits.ERROR
    else:  # a bug: say so plainly, with details under --debug
        message = _(
            "Unexpected error ({error}). Run again with --debug for details, and please report it."
        ).format(error=f"{error.__class__.__name__}: {error}")
        code = exits.ERROR
    if ctx.debug:
        import traceback

        traceback.print_exception(error, file=ctx.stderr)
    print(_("Error: {message}").format(message=message), file=ctx.stderr)
    return code


def describe(error: DeskError) -> str:
    """The sentence a person reads for a desk error: what happened and what to do."""
    from ..errors import NotAccepting, NotSignedIn, OpenQuestionExists, RateLimited, Unavailable
    from ..i18n import _
    from .render import span

    if isinstance(error, OpenQuestionExists):
        qid = error.question_id
        return _(
            "You already have an open question (#{id}); the desk takes one at a time. Wait for its answer "
            "(vksupport wait {id}), or delete it if no agent has taken it yet (vksupport delete {id})."
        ).format(id=qid)
    if isinstance(error, NotAccepting):
        return _(
            "The desk is not accepting new questions right now; your question was not sent. Try again later."
        )
    if isinstance(error, RateLimited):
        retry = error.details.get("retry_after")
        if retry:
            return _("The desk asks to slow down; try again in {duration}.").format(
                duration=span(float(retry))
            )
        return _("The desk asks to slow down; try again in a minute.")
    if isinstance(error, NotSignedIn):
        return error.message + " " + _("Sign in with `vksupport auth login`, or set VKSUPPORT_TOKEN.")
    if isinstance(error, Unavailable):
        return error.message + " " + _("Try again later.")
    return error.message


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
