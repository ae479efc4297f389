"""Global options anywhere on the line, as in gh: `vksupport show 9 --debug`, `vksupport --json list`.

Click reads a group's options only before the command name. Each command here also
accepts the global options (``--debug``, ``--no-color``, ``--no-pager``, ``--server``, ``--insecure``)
as hidden options that set the same Context fields as the root's; and ``--json``
before the command name becomes the default of every command's ``--json``.
"""

from __future__ import annotations

from typing import Any

import click

from .context import Context

_MARK = "_vksupport_globals"


def _context(ctx: click.Context) -> Context | None:
    found = ctx.find_object(Context)
    return found


def _set(field: str) -> Any:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        obj = _context(ctx)
        if obj is not None and value not in (None, False):
            setattr(obj, field, value)
        return value

    return callback


def _json_default() -> bool:
    """A command's --json default: on when --json was given before the command name."""
    ctx = click.get_current_context(silent=True)
    obj = _context(ctx) if ctx is not None else None
    return bool(obj is not None and obj.json)


def _options() -> list[click.Option]:
    return [
        click.Option(["--debug"], is_flag=True, hidden=True, expose_value=False, callback=_set("debug")),
        click.Option(
            ["--no-color"], is_flag=True, hidden=True, expose_value=False, callback=_set("no_color")
        ),
        click.Option(
            ["--insecure"], is_flag=True, hidden=True, expose_value=False, callback=_set("insecure")
        ),
        click.Option(
            ["--no-pager"], is_flag=True, hidden=True, expose_value=False, callback=_set("no_pager")
        ),
        click.Option(["--server"], hidden=True, expose_value=False, callback=_set("server_option")),
    ]


def accept_globals(command: click.Command) -> click.Command:
    """Add the global options to ``command`` (and, for a group, to all its commands); idempotent."""
    if getattr(command, _MARK, False):
        return command
    setattr(command, _MARK, True)
    taken = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for option in _options():
        if not taken.intersection(option.opts):
            command.params.append(option)
    for param in command.params:
        if param.name == "as_json" and isinstance(param, click.Option):
            param.default = _json_default
            param.show_default = False
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            accept_globals(sub)
    return command
