"""`vksupport attachment download`: a question's files back onto this machine."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer

from ..i18n import _, ngettext
from .context import Context, UsageError
from .questions import QuestionId, QuestionIdType

app = typer.Typer(
    help=_("Files attached to your questions: download them."),
    no_args_is_help=True,
    suggest_commands=False,
)

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_name(name: str, attachment_id: int) -> str:
    """A file name that stays in the current folder, whatever name the desk sent."""
    cleaned = _UNSAFE.sub("", name).replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    return cleaned[:255] or f"attachment-{attachment_id}"


@app.command(
    help=_(
        "Download an attachment of a question (ids as `vksupport show ID` lists them); never overwrites "
        "a file without --force."
    )
)
def download(
    tctx: typer.Context,
    question_id: QuestionId,
    attachment_id: Annotated[
        int,
        typer.Argument(
            help=_("The attachment's id, as `vksupport show ID` lists it."),
            metavar="AID",
            click_type=QuestionIdType(),
            show_default=False,
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help=_("Where to save it ('-' for standard output). Default: its own name, in this folder."),
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help=_("Overwrite FILE if it exists."))] = False,
) -> None:
    ctx: Context = tctx.obj
    if output == "-":
        stream = getattr(ctx.stdout, "buffer", None)
        if stream is None:
            raise UsageError(_("Standard output takes no bytes here; give a file with -o FILE."))
        ctx.client.download_attachment(question_id, attachment_id, stream)
        stream.flush()
        return
    target = Path(output).expanduser() if output else None
    if target is None:
        question = ctx.client.get_question(question_id)
        meta = next((a for a in question.attachments if a.id == attachment_id), None)
        name = safe_name(meta.filename, attachment_id) if meta else f"attachment-{attachment_id}"
        target = Path(name)
    if target.is_dir():
        raise UsageError(_("{path} is a folder; give a file name with -o FILE.").format(path=target))
    if target.exists() and not force:
        raise UsageError(
            _("{path} exists already; pass --force to overwrite it, or -o another file.").format(path=target)
        )
    folder = target.parent if str(target.parent) else Path(".")
    partial = folder / f".{target.name}.{os.getpid()}.part"
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise UsageError(
            _("Cannot write to {path} ({reason}).").format(path=target, reason=exc.strerror or exc)
        ) from None
    try:
        with os.fdopen(descriptor, "wb") as sink:
            meta = ctx.client.download_attachment(question_id, attachment_id, sink)
        os.chmod(partial, 0o644 & ~_umask())
        if force:
            os.replace(partial, target)
        else:
            try:
                os.link(partial, target)  # fails if the file appeared meanwhile: never overwritten
            except FileExistsError:
                raise UsageError(
                    _("{path} exists already; pass --force to overwrite it, or -o another file.").format(
                        path=target
                    )
                ) from None
            except OSError:  # a file system without hard links: a last look, then a rename
                if target.exists():
                    raise UsageError(
                        _("{path} exists already; pass --force to overwrite it, or -o another file.").format(
                            path=target
                        )
                    ) from None
                os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    ctx.note(
        ngettext(
            "Saved {name} ({size} byte) as {path}.", "Saved {name} ({size} bytes) as {path}.", meta.size
        ).format(name=meta.filename, size=meta.size, path=target)
    )


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
