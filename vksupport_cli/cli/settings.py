"""`vksupport config get|set|unset|list`: the person's settings in config.toml, checked before saving."""

from __future__ import annotations

import shlex
from typing import Annotated, Any

import typer

from ..i18n import _
from . import complete
from .context import SANDBOX, Context, UsageError
from .helpcentre import JsonOption
from .render import emit

app = typer.Typer(
    help=_("See and change your settings (config.toml): server, pager, color."),
    no_args_is_help=True,
    suggest_commands=False,
)

KEYS = ("server", "pager", "color")
COLORS = ("auto", "always", "never")
DEFAULTS = {"server": SANDBOX, "pager": "", "color": "auto"}


def key_help() -> dict[str, str]:
    return {
        "server": _("the desk to use: 'sandbox' or its URL"),
        "pager": _("the pager for long output, e.g. 'less -R'; 'off' for none"),
        "color": _("colours: auto, always or never"),
    }


def check(ctx: Context, key: str, value: str) -> str:
    """The value to store for ``key``, or a usage error saying what is accepted."""
    value = value.strip()
    if key == "server":
        if value == SANDBOX:
            return value
        from ..client.http import check_url
        from ..errors import BadInput

        try:
            return check_url(value, insecure=ctx.insecure)
        except BadInput as exc:
            raise UsageError(exc.message) from None
    if key == "color":
        if value not in COLORS:
            raise UsageError(_("color must be one of {choices}.").format(choices=", ".join(COLORS)))
        return value
    # pager: a command line a shell would split the same way, or "off"
    try:
        words = shlex.split(value)
    except ValueError:
        words = []
    if not words or any(c in value for c in "\n\r\x00"):
        raise UsageError(_("pager must be a command such as 'less -R', or 'off'."))
    return value


def _check_key(key: str) -> None:
    if key not in KEYS:
        raise UsageError(
            _("There is no setting {key!r}; the settings are: {keys}.").format(key=key, keys=", ".join(KEYS))
        )


Key = Annotated[
    str,
    typer.Argument(
        help=_("server, pager or color."),
        metavar="KEY",
        show_default=False,
        autocompletion=complete.settings_keys,
    ),
]


@app.command(help=_("Print one setting (its default when it is not set)."))
def get(tctx: typer.Context, key: Key) -> None:
    ctx: Context = tctx.obj
    _check_key(key)
    ctx.stdout.write(str(ctx.config.get(key, DEFAULTS[key])) + "\n")


@app.command("set", help=_("Change a setting, after checking the value."))
def set_(
    tctx: typer.Context,
    key: Key,
    value: Annotated[str, typer.Argument(help=_("The new value."), metavar="VALUE", show_default=False)],
) -> None:
    ctx: Context = tctx.obj
    _check_key(key)
    from ..config import save

    settings = {name: str(v) for name, v in ctx.config.items()}
    settings[key] = check(ctx, key, value)
    save(settings)
    ctx.note(_("{key} is now {value}.").format(key=key, value=settings[key]))


@app.command(help=_("Remove a setting: its default applies again."))
def unset(tctx: typer.Context, key: Key) -> None:
    ctx: Context = tctx.obj
    _check_key(key)
    from ..config import save

    settings = {name: str(v) for name, v in ctx.config.items() if name != key}
    save(settings)
    ctx.note(_("{key} is back to its default ({value}).").format(key=key, value=DEFAULTS[key] or "-"))


@app.command("list", help=_("Print every setting, its value and where the value comes from."))
def list_(tctx: typer.Context, as_json: JsonOption = False) -> None:
    ctx: Context = tctx.obj
    rows = [
        {"key": key, "value": str(ctx.config.get(key, DEFAULTS[key])), "set": key in ctx.config}
        for key in KEYS
    ]
    emit(ctx, rows, as_json, _show_list)


def _show_list(ctx: Context, rows: list[dict[str, Any]]) -> None:
    described = key_help()
    for row in rows:
        origin = _("set in config") if row["set"] else _("default")
        ctx.stdout.write(f"{row['key']} = {row['value'] or '-'}  ({origin}; {described[row['key']]})\n")
