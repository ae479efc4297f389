"""The fast path: the JSON data commands scripts run most, without importing Typer, click or rich.

``vksupport list --json``, ``show ID --json`` and ``search-help QUERY --json`` are what a cron
job or a CI step runs again and again. Typer builds the whole command tree (and click, and
often rich) before it parses anything: several times the cost of the work itself. Here a
small parser reads exactly these shapes and does what the Typer commands do, through the
same Context, client and JSON writer.

Anything else (another command, an option this parser does not know, a value Typer would
refuse, ``--help``, a missing ``--json``) returns None, and the full Typer application runs
instead: behaviour, messages and exit codes stay those of the one implementation.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .render import LIST_STATUSES, question_summaries

if TYPE_CHECKING:
    from .context import Context

#: Global options (root options, accepted after the command too): name -> takes a value.
GLOBAL = {"--server": True, "--debug": False, "--no-color": False, "--no-pager": False, "--insecure": False}
#: click's words for true and false in a boolean environment variable.
_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off", ""}


class _Unusual(Exception):
    """This command line is not one the fast path knows: let Typer handle it."""


def _int(text: str, low: int, high: int) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or not low <= int(text) <= high:
        raise _Unusual
    return int(text)


def parse(args: list[str]) -> tuple[dict[str, str], str, list[str], dict[str, str]] | None:
    """(global settings, command, positionals, command options), or None for anything unusual."""
    if not args or args[0] not in COMMANDS:
        return None
    command = args[0]
    known = COMMANDS[command][0]
    settings: dict[str, str] = {}
    positionals: list[str] = []
    options: dict[str, str] = {}
    index = 1
    while index < len(args):
        word = args[index]
        index += 1
        if word.startswith("-") and word != "-":
            name, equals, value = word.partition("=")
            name = known.get(name, name)  # short forms: -n -> --limit
            if name in GLOBAL or name in known.values():
                takes_value = GLOBAL.get(name, name not in FLAGS)
                if takes_value and not equals:
                    if index >= len(args) or args[index].startswith("-"):
                        return None
                    value = args[index]
                    index += 1
                elif not takes_value and equals:
                    return None
                store = settings if name in GLOBAL else options
                if name in store:  # repeated: click's "last wins" is Typer's business
                    return None
                store[name] = value
                continue
            return None  # --help, -h, --, unknown options, clusters of short flags
        positionals.append(word)
    if "--json" not in options:
        return None
    return settings, command, positionals, options


#: Flags among the command options (they take no value).
FLAGS = {"--json"}


def _list(ctx: Context, positionals: list[str], options: dict[str, str]) -> Callable[[], Any]:
    if positionals:
        raise _Unusual
    status = options.get("--status", "all")
    if status not in LIST_STATUSES:
        raise _Unusual
    limit = _int(options.get("--limit", "20"), 1, 1000)
    return lambda: question_summaries(ctx.client.list_questions(status=status, limit=limit).questions)


def _show(ctx: Context, positionals: list[str], options: dict[str, str]) -> Callable[[], Any]:
    if len(positionals) != 1:
        raise _Unusual
    question_id = _int(positionals[0].strip(), 1, 2**63 - 1)
    return lambda: ctx.client.get_question(question_id)


def _search_help(ctx: Context, positionals: list[str], options: dict[str, str]) -> Callable[[], Any]:
    if len(positionals) != 1:
        raise _Unusual
    query, category = positionals[0], options.get("--category")
    limit = _int(options.get("--limit", "10"), 1, 100)
    return lambda: ctx.client.search_help(query, category=category, limit=limit)


#: command -> ({option spelling: canonical name}, builder of the call)
COMMANDS: dict[
    str, tuple[dict[str, str], Callable[[Context, list[str], dict[str, str]], Callable[[], Any]]]
] = {
    "list": ({"--status": "--status", "--limit": "--limit", "-n": "--limit", "--json": "--json"}, _list),
    "show": ({"--json": "--json"}, _show),
    "search-help": (
        {
            "--category": "--category",
            "-c": "--category",
            "--limit": "--limit",
            "-n": "--limit",
            "--json": "--json",
        },
        _search_help,
    ),
}


def attempt(args: list[str]) -> int | None:
    """Run ``args`` on the fast path and return the exit code, or None when Typer should run them."""
    parsed = parse(args)
    if parsed is None:
        return None
    settings, command, positionals, options = parsed
    debug_env = os.environ.get("VKSUPPORT_DEBUG")
    if debug_env is not None and debug_env.strip().lower() not in _TRUE | _FALSE:
        return None
    from .. import i18n

    i18n.setup()
    from . import exits
    from .context import Context
    from .render import emit

    ctx = Context(
        server_option=settings.get("--server"),
        debug="--debug" in settings or (debug_env or "").strip().lower() in _TRUE,
        no_color="--no-color" in settings,
        insecure="--insecure" in settings,
    )
    try:
        call = COMMANDS[command][1](ctx, positionals, options)
    except _Unusual:
        return None
    try:
        emit(ctx, call(), True, _no_human)
        return exits.OK
    except BaseException as error:  # noqa: BLE001 - the same sentence and code as the Typer path
        from .main import report

        return report(ctx, error)
    finally:
        ctx.close()


def _no_human(ctx: Context, data: Any) -> None:  # pragma: no cover - the fast path always prints JSON
    raise AssertionError("the fast path prints JSON only")
