"""Operator commands for a desk database: `vksupport desk ...`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .. import paths
from ..i18n import _, ngettext
from .context import Context

if TYPE_CHECKING:
    from ..desk.service import Desk

app = typer.Typer(
    help=_("Run and manage a desk: its help centre and whether it takes questions."),
    no_args_is_help=True,
    suggest_commands=False,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="VKSUPPORT_DESK_DB",
        help=_("The desk's database: a SQLite file or a postgresql:// URL. Default: the sandbox's."),
        show_envvar=True,
    ),
]


def _open(db: str | None) -> Desk:
    from ..desk.service import Desk

    return Desk.open(db or paths.sandbox_db())


@app.command(help=_("Serve the desk's HTTP API (needs the server extra: pip install 'vksupport[server]')."))
def serve(
    tctx: typer.Context,
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help=_("Address to listen on."))] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help=_("Port to listen on."))] = 8080,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help=_("Worker processes sharing the database."))
    ] = 1,
    rate_limit: Annotated[
        float,
        typer.Option(
            "--rate-limit",
            min=0,
            help=_("Requests a second per token (bursts of twice that); 0 turns it off."),
        ),
    ] = 50.0,
) -> None:
    import os

    try:
        import uvicorn

        from ..server import app as server_app
    except ImportError:
        from .context import UsageError

        raise UsageError(_("The server needs its extra packages: pip install 'vksupport[server]'.")) from None
    path = str(db or paths.sandbox_db())
    _open(path).close()  # create or migrate once, before the workers start
    os.environ[server_app.DB_ENV] = path
    os.environ[server_app.RATE_ENV] = str(rate_limit)
    uvicorn.run(
        "vksupport_cli.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http="vksupport_cli.server.protocol:NoDelayH11Protocol",
        log_level="warning",
        access_log=False,
        server_header=False,
    )


@app.command("add-user", help=_("Create an account and print its API token, once, alone on stdout."))
def add_user(
    tctx: typer.Context,
    name: Annotated[str, typer.Argument(help=_("The account's name."), show_default=False)],
    agent: Annotated[bool, typer.Option("--agent", help=_("A support agent rather than a user."))] = False,
    db: DbOption = None,
) -> None:
    ctx: Context = tctx.obj
    desk = _open(db)
    try:
        user, token = desk.add_user(name, "agent" if agent else "user")
    finally:
        desk.close()
    ctx.stdout.write(token + "\n")
    created = _("Created the agent {name}.") if user.role == "agent" else _("Created the user {name}.")
    ctx.note(created.format(name=user.name) + " " + _("The token above is shown only this once."))


@app.command("import-help", help=_("Replace the desk's help centre with the articles in FILE."))
def import_help(
    tctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help=_("A JSONL file: one article per line (slug, category, title, body, can_ask, tags)."),
            show_default=False,
        ),
    ],
    db: DbOption = None,
) -> None:
    ctx: Context = tctx.obj
    desk = _open(db)
    try:
        count = desk.import_help(file)
    finally:
        desk.close()
    ctx.console.print(
        ngettext(
            "Imported {n} article; search uses it now.", "Imported {n} articles; search uses them now.", count
        ).format(n=count)
    )


@app.command(help=_("Switch whether the desk takes new questions (everything else keeps working)."))
def accepting(
    tctx: typer.Context,
    state: Annotated[
        str,
        typer.Argument(
            help=_("on: take new questions; off: refuse them for a while."),
            metavar="on|off",
            show_default=False,
        ),
    ],
    db: DbOption = None,
) -> None:
    ctx: Context = tctx.obj
    if state not in ("on", "off"):
        from .context import UsageError

        raise UsageError(_("Say on or off."))
    desk = _open(db)
    try:
        desk.set_accepting(state == "on")
    finally:
        desk.close()
    ctx.console.print(
        _("The desk takes new questions.")
        if state == "on"
        else _("The desk refuses new questions until switched on.")
    )
