"""click's words that click does not pass through gettext, put through our catalogue.

click translates its messages with gettext, and our catalogue speaks for it (see
``i18n.setup``). A few words it shows are plain strings, though: the usage line's
``[OPTIONS]`` and ``COMMAND [ARGS]...``, and the names of value types ("integer
range", "text"), which a person reads as metavars in help (``--limit INTEGER
RANGE``) and inside click's own messages ("'1.5' is not a valid integer range.").
``install()`` names them in the person's language; in English they stay click's.
(Yes/no questions are ours: ``compose.confirm`` shows "[y/N]" through the catalogue.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def install() -> None:
    """Translate the words above for this process: after ``i18n.setup()``, before any help is shown."""
    import click.types
    import typer.core

    from ..i18n import _

    type_names: dict[type[click.ParamType[Any]], str] = {
        click.types.StringParamType: _("text"),
        click.types.IntParamType: _("integer"),
        click.types.FloatParamType: _("float"),
        click.types.IntRange: _("integer range"),
        click.types.FloatRange: _("float range"),
    }
    for kind, name in type_names.items():
        kind.name = name

    for command in (typer.core.TyperCommand, typer.core.TyperGroup):
        original: Callable[..., list[str]] = command.collect_usage_pieces
        if getattr(original, "_translated", False):
            continue

        def collect_usage_pieces(
            self: click.Command, ctx: click.Context, _original: Callable[..., list[str]] = original
        ) -> list[str]:
            words = {"[OPTIONS]": _("[OPTIONS]"), "COMMAND [ARGS]...": _("COMMAND [ARGS]...")}
            return [words.get(piece, piece) for piece in _original(self, ctx)]

        marked: Any = collect_usage_pieces
        marked._translated = True
        command.collect_usage_pieces = marked  # type: ignore[method-assign]
