"""Getting text from a person or a script: options, files, stdin, prompts, the editor."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths
from ..i18n import _
from .context import Aborted, Context, UsageError

if TYPE_CHECKING:
    from ..drafts import Draft

MAX_INPUT_BYTES = 1024 * 1024  # far beyond any field's limit; stops a runaway pipe early

COMMENT_PREFIX = "#"


def read_text_file(ctx: Context, source: str) -> str:
    """The UTF-8 text of ``source`` (a path, or '-' for stdin), with a clear refusal otherwise."""
    if source == "-":
        stream = getattr(ctx.stdin, "buffer", None)
        raw = stream.read(MAX_INPUT_BYTES + 1) if stream is not None else ctx.stdin.read(MAX_INPUT_BYTES + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        label = _("standard input")
    else:
        path = Path(source).expanduser()
        label = str(path)
        if path.is_dir():
            raise UsageError(_("{path} is a folder; give a text file.").format(path=label))
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_INPUT_BYTES + 1)
        except FileNotFoundError:
            raise UsageError(_("There is no file {path}.").format(path=label)) from None
        except OSError as exc:
            raise UsageError(
                _("Cannot read {path}: {reason}.").format(path=label, reason=exc.strerror)
            ) from None
    if len(raw) > MAX_INPUT_BYTES:
        raise UsageError(
            _("The text in {path} is over {size} KiB; shorten it.").format(
                path=label, size=MAX_INPUT_BYTES // 1024
            )
        )
    if b"\x00" in raw:
        raise UsageError(_("{path} holds binary data, not text; give UTF-8 text.").format(path=label))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(
            _("{path} is not UTF-8 text; convert it (iconv -t UTF-8) and try again.").format(path=label)
        ) from None


def read_attachment(path_text: str) -> tuple[str, Path]:
    """(file name, path) of an attachment, refusing folders and missing or unreadable files up front.

    The file itself is read only as it is sent, in chunks: never whole into memory.
    """
    path = Path(path_text).expanduser()
    if path.is_dir():
        raise UsageError(_("{path} is a folder; attach files one by one with --attach.").format(path=path))
    try:
        with path.open("rb") as handle:
            handle.read(1)
        return path.name, path
    except FileNotFoundError:
        raise UsageError(_("There is no file {path} to attach.").format(path=path)) from None
    except OSError as exc:
        raise UsageError(_("Cannot read {path}: {reason}.").format(path=path, reason=exc.strerror)) from None


def body_from(ctx: Context, body: str | None, body_file: str | None) -> str | None:
    if body is not None and body_file is not None:
        raise UsageError(_("Give the text either with --body or with --body-file, not both."))
    if body_file is not None:
        return read_text_file(ctx, body_file)
    return body


def require_terminal(ctx: Context, missing: str) -> None:
    """Refuse at once (exit 2) when a value is missing and nobody can be asked for it."""
    if not ctx.interactive:
        raise UsageError(
            _("Missing {options}; there is no terminal to ask, so pass it as an option.").format(
                options=missing
            )
        )


def prompt(ctx: Context, label: str, *, default: str | None = None, required: bool = True) -> str:
    import click

    # "What happened?" reads as a question: no colon after its question mark.
    suffix = " " if label.rstrip().endswith("?") else ": "
    while True:
        value: str = click.prompt(
            label, default=default or "", show_default=bool(default), err=True, prompt_suffix=suffix
        )
        if value.strip() or not required:
            return value.strip()
        ctx.note(_("This cannot be empty."))


#: What a yes/no question accepts, in either language and either keyboard layout's letter.
YES = frozenset({"y", "yes", "д", "да"})
NO = frozenset({"n", "no", "н", "нет"})


def confirm(ctx: Context, question: str, *, default: bool = False) -> bool:
    """Ask a yes/no question; Enter takes the default. click's confirm would show an English
    "[y/N]" and know only y and n: this one speaks the person's language (Russian: "[д/Н]")."""
    import click

    choices = _("[Y/n]") if default else _("[y/N]")
    while True:
        answer = click.prompt(f"{question} {choices}", default="", show_default=False, err=True)
        answer = answer.strip().lower()
        if not answer:
            return default
        if answer in YES:
            return True
        if answer in NO:
            return False
        ctx.note(_("Answer y (yes) or n (no)."))


def edit(ctx: Context, draft: Draft, field: str, template: str) -> str:
    """Open $VISUAL/$EDITOR on ``template`` in a buffer beside the draft; returns the text.

    '#' lines are dropped; an empty or unchanged text aborts, as git does. The
    buffer lives in the drafts folder (not a temporary file that vanishes), and
    whatever it holds is saved into the draft even when the editor fails.
    """
    import shlex
    import subprocess

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    buffer = draft.path.with_suffix(f".{field}.md")
    paths.ensure_private_dir(buffer.parent)
    descriptor = os.open(buffer, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(template + "\n")
        for line in _(
            "Write your text above. Lines starting with '#' are ignored;\nan empty or unchanged text aborts."
        ).splitlines():
            handle.write(f"{COMMENT_PREFIX} {line}\n")
    try:
        try:
            status = subprocess.call([*shlex.split(editor), str(buffer)])  # noqa: S603 - the person's own $EDITOR
        except (OSError, ValueError) as exc:
            raise UsageError(
                _("Could not run your editor {editor} ({reason}); set $EDITOR or pass --body.").format(
                    editor=editor, reason=exc
                )
            ) from None
        edited = buffer.read_text(encoding="utf-8", errors="replace")
        text = "\n".join(line for line in edited.splitlines() if not line.startswith(COMMENT_PREFIX)).strip()
        if text and text != template.strip():
            draft.fields[field] = text
            draft.typed = True
            draft.save()
        if status != 0:
            raise Aborted(
                _("Your editor {editor} failed (exit status {status}); nothing was sent.").format(
                    editor=editor, status=status
                )
            )
        if not text:
            raise Aborted(_("Aborted: the text is empty; nothing was sent."))
        if text == template.strip():
            raise Aborted(_("Aborted: the text is unchanged; nothing was sent."))
        return text
    finally:
        buffer.unlink(missing_ok=True)
