"""Operator commands for a desk database: `vksupport desk ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import paths
from .context import Context

app = typer.Typer(
    help="Run and manage a desk: its help centre and whether it takes questions.",
    no_args_is_help=True,
)

DbOption = Annotated[
    Optional[Path],
    typer.Option("--db", help="The desk's SQLite file. Default: the sandbox's.", dir_okay=False),
]


def _open(db: Path | None):
    from ..desk.service import Desk

    return Desk.open(db or paths.sandbox_db())


@app.command()
def serve(
    tctx: typer.Context,
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes sharing the database.")] = 1,
    rate_limit: Annotated[float, typer.Option("--rate-limit", min=0, help="Requests a second per token (bursts of twice that); 0 turns it off.")] = 50.0,
) -> None:
    """Serve the desk's HTTP API (needs the server extra: pip install 'vksupport[server]')."""
    import os

    try:
        import uvicorn

        from ..server import app as server_app
    except ImportError:
        from .context import UsageError

        raise UsageError("The server needs its extra packages: pip install 'vksupport[server]'.") from None
    path = str(db or paths.sandbox_db())
    _open(Path(path)).close()  # create or migrate once, before the workers start
    os.environ[server_app.DB_ENV] = path
    os.environ[server_app.RATE_ENV] = str(rate_limit)
    uvicorn.run(
        "vksupport_cli.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        server_header=False,
    )


@app.command("add-user")
def add_user(
    tctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The account's name.")],
    agent: Annotated[bool, typer.Option("--agent", help="A support agent rather than a user.")] = False,
    db: DbOption = None,
) -> None:
    """Create an account and print its API token, once, alone on stdout."""
    ctx: Context = tctx.obj
    desk = _open(db)
    try:
        user, token = desk.add_user(name, "agent" if agent else "user")
    finally:
        desk.close()
    ctx.stdout.write(token + "\n")
    ctx.note(f"Created {user.role} {user.name!r}. The token above is shown only this once.")


@app.command("import-help")
def import_help(
    tctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A JSONL file: one article per line (slug, category, title, body, can_ask, tags).")],
    db: DbOption = None,
) -> None:
    """Replace the desk's help centre with the articles in FILE."""
    ctx: Context = tctx.obj
    desk = _open(db)
    try:
        count = desk.import_help(file)
    finally:
        desk.close()
    ctx.console.print(f"Imported {count} articles; search uses them now.")


@app.command()
def accepting(
    tctx: typer.Context,
    state: Annotated[str, typer.Argument(help="on: take new questions; off: refuse them for a while.", metavar="on|off")],
    db: DbOption = None,
) -> None:
    """Switch whether the desk takes new questions (everything else keeps working)."""
    ctx: Context = tctx.obj
    if state not in ("on", "off"):
        from .context import UsageError

        raise UsageError("Say on or off.")
    desk = _open(db)
    try:
        desk.set_accepting(state == "on")
    finally:
        desk.close()
    ctx.console.print("The desk takes new questions." if state == "on" else "The desk refuses new questions until switched on.")
