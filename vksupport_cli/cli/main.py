"""The entry point, and the one place that turns failures into a sentence and an exit code.

``vksupport --version`` answers before Typer is even imported: scripts call it
to check the tool is there, and it should cost no more than Python starting.
The JSON data commands scripts run most take the fast path (fast.py), also
without Typer, click or rich; every other command line goes through Typer.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC
from typing import IO, TYPE_CHECKING

from .. import __version__

#: VKSUPPORT_FAST_PATH=0 sends every command line through the Typer application (tests compare both).
FAST_PATH_ENV = "VKSUPPORT_FAST_PATH"
if TYPE_CHECKING:
    from ..errors import DeskError
    from .context import Context


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args in (["--version"], ["-V"]):
        print(f"vksupport {__version__}")
        return 0
    if os.environ.get(FAST_PATH_ENV) != "0":
        from .fast import attempt

        code = attempt(args)
        if code is not None:
            return code
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
    from ..i18n import _, after_colon
    from . import exits
    from .context import Aborted, Interrupted, UsageError, WaitTimedOut

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
    elif isinstance(error, Interrupted):
        message, code = str(error), exits.INTERRUPTED
    elif isinstance(error, (click.Abort, KeyboardInterrupt, EOFError)):
        message, code = _("Interrupted; nothing more was sent."), exits.INTERRUPTED
    elif isinstance(error, Aborted):
        # The person's own choice ("no" at a prompt, an empty editor): said plainly, not as an error.
        if ctx.debug:
            import traceback

            traceback.print_exception(error, file=ctx.stderr)
        print(str(error), file=ctx.stderr)
        return exits.ERROR
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
    from .render import inert

    # A desk's words (or a file name, a path) may hold escape sequences: never raw to the terminal.
    print(_("Error: {message}").format(message=after_colon(inert(message))), file=ctx.stderr)
    return code


def describe(error: DeskError) -> str:
    """The sentence a person reads for a desk error: what happened and what to do."""
    from ..errors import (
        NotAccepting,
        NotSignedIn,
        OpenQuestionExists,
        QuotaExceeded,
        RateLimited,
        Unavailable,
    )
    from ..i18n import _
    from .render import local_time, parse_time, span

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
    if isinstance(error, QuotaExceeded):
        resets = error.details.get("resets_at")
        try:
            moment = parse_time(resets) if isinstance(resets, str) else None
        except ValueError:
            moment = None
        if moment is None:
            return error.message + " " + _("Ask the desk's operator if you need more.")
        from datetime import datetime

        seconds = (moment - datetime.now(UTC)).total_seconds()
        return (
            error.message
            + " "
            + _("The limit resets in {duration} (at {time}).").format(
                duration=span(seconds), time=local_time(resets)
            )
        )
    if isinstance(error, NotSignedIn):
        if error.details.get("login"):  # the token `auth login` was given: signing in again is no help
            return error.message
        return error.message + " " + _("Sign in with `vksupport auth login`, or set VKSUPPORT_TOKEN.")
    if isinstance(error, Unavailable):
        return error.message + " " + _("Try again later.")
    if error.details.get("reason") == "reopened" and isinstance(error.details.get("question_id"), int):
        return (
            error.message
            + " "
            + _("Wait for the new answer with: vksupport wait {id}").format(id=error.details["question_id"])
        )
    return error.message


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
