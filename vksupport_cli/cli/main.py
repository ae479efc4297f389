"""The entry point: run the command, turn every failure into a sentence and an exit code.

``vksupport --version`` answers before Typer is even imported: scripts call it
to check the tool is there, and it should cost no more than Python starting.
"""

from __future__ import annotations

import os
import sys

from .. import __version__


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args in (["--version"], ["-V"]):
        print(f"vksupport {__version__}")
        return 0
    return run(args)


def run(args: list[str], ctx=None) -> int:
    import click

    from ..errors import DeskError
    from . import exits
    from .app import app
    from .context import Aborted, Context, UsageError, WaitTimedOut

    ctx = ctx or Context(debug=os.environ.get("VKSUPPORT_DEBUG", "") not in ("", "0"))
    try:
        command = _click_command(app)
        command.main(args=args, prog_name="vksupport", obj=ctx, standalone_mode=False)
        return exits.OK
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.UsageError as error:
        if error.ctx is not None:
            print(error.ctx.get_usage(), file=ctx.stderr)
            hint = f"Try '{error.ctx.command_path} --help' for help."
        else:
            hint = "Try 'vksupport --help' for help."
        return _fail(ctx, f"{error.format_message()}\n{hint}", exits.USAGE)
    except (click.Abort, KeyboardInterrupt, EOFError):
        return _fail(ctx, "Interrupted; nothing more was sent.", exits.INTERRUPTED)
    except click.ClickException as error:
        return _fail(ctx, error.format_message(), exits.USAGE)
    except UsageError as error:
        return _fail(ctx, str(error), exits.USAGE)
    except Aborted as error:
        return _fail(ctx, str(error), exits.ERROR)
    except WaitTimedOut as error:
        return _fail(ctx, str(error), exits.TIMEOUT)
    except DeskError as error:
        return _fail(ctx, describe(error), exits.for_error(error))
    except BrokenPipeError:
        # The reader went away (`| head`): not our failure, and nothing left to say.
        sys.stderr = None
        return exits.OK
    except Exception as error:  # a bug: say so plainly, details with --debug
        return _fail(ctx, f"Unexpected error: {error.__class__.__name__}: {error}. Run again with --debug for details and report it.", exits.ERROR)
    finally:
        ctx.close()


def _click_command(app):
    import typer.main

    return typer.main.get_command(app)


def describe(error) -> str:
    """The sentence a person reads for a desk error: what happened and what to do."""
    from ..errors import NotAccepting, NotSignedIn, OpenQuestionExists, RateLimited, Unavailable

    if isinstance(error, OpenQuestionExists):
        qid = error.question_id
        return (
            f"You already have an open question (#{qid}); the desk takes one at a time. "
            f"Wait for its answer (vksupport wait {qid}), or delete it if no agent has taken it yet "
            f"(vksupport delete {qid})."
        )
    if isinstance(error, NotAccepting):
        return f"{error.message} Your question was not sent."
    if isinstance(error, RateLimited):
        retry = error.details.get("retry_after")
        return f"The desk asks to slow down; try again in {retry} s." if retry else "The desk asks to slow down; try again in a minute."
    if isinstance(error, NotSignedIn):
        return f"{error.message} Sign in again with: vksupport auth login"
    if isinstance(error, Unavailable):
        return f"{error.message} Try again later."
    return error.message


def _fail(ctx, message: str, code: int) -> int:
    if ctx.debug:
        import traceback

        traceback.print_exc(file=ctx.stderr)
    print(f"Error: {message}" if not message.startswith(("Usage", "Error")) else message, file=ctx.stderr)
    return code
