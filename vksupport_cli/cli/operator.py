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
