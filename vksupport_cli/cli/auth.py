"""Signing in to a deployed desk: auth login, status, logout."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from .. import credentials
from ..errors import NotSignedIn
from . import exits
from .context import SANDBOX, Context, UsageError
from .helpcentre import JsonOption
from .render import emit

app = typer.Typer(help="Sign in to a desk, see who you are, sign out.", no_args_is_help=True)

ServerOption = Annotated[
    Optional[str], typer.Option("--server", help="The desk's URL (default: the configured one).", show_default=False)
]


def _desk_url(ctx: Context, server: str | None) -> str:
    if server:
        ctx.server_option = server
        ctx.__dict__.pop("server", None)  # recompute from the new option
    if ctx.server == SANDBOX:
        raise UsageError(
            "The sandbox needs no sign-in. To sign in to a desk, pass --server https://DESK "
            "(or set VKSUPPORT_SERVER)."
        )
    return ctx.server_url


@app.command()
def login(
    tctx: typer.Context,
    server: ServerOption = None,
    with_token: Annotated[bool, typer.Option("--with-token", help="Read the token from standard input (for scripts).")] = False,
    insecure_storage: Annotated[
        bool,
        typer.Option("--insecure-storage", help="Keep the token in a plain file (mode 0600) instead of the OS keyring."),
    ] = False,
) -> None:
    """Sign in with an API token: checked with the desk, then kept in the OS keyring."""
    ctx: Context = tctx.obj
    url = _desk_url(ctx, server)
    if with_token:
        token = ctx.stdin.readline().strip()
        if not token:
            raise UsageError("No token on standard input; pipe it in, e.g. `vksupport auth login --with-token < token.txt`.")
    else:
        if not ctx.interactive:
            raise UsageError("No terminal to ask for the token; pass --with-token and give it on standard input.")
        import click

        token = click.prompt("Paste your API token (input is hidden)", hide_input=True, err=True).strip()
    from ..client.http import HttpClient

    checker = HttpClient(url, token, insecure=ctx.insecure)
    try:
        user = checker.me()
    finally:
        checker.close()
    kept = credentials.store(url, token, insecure_storage=insecure_storage)
    _remember_server(ctx, url)
    ctx.console.print(f"Signed in to {url} as {user.name} ({user.role}). The token is kept in {kept.describe()}.")
    if insecure_storage:
        ctx.note(f"Note: the token is in plain text in {kept.where}, readable only by you (mode 0600).")
    if os.environ.get(credentials.TOKEN_ENV):
        ctx.note(f"Note: {credentials.TOKEN_ENV} is set and wins over the stored token.")


def _remember_server(ctx: Context, url: str) -> None:
    from ..config import save

    settings = {k: str(v) for k, v in ctx.config.items()}
    if settings.get("server") != url:
        settings["server"] = url
        save(settings)
        ctx.note(f"{url} is now your default desk (config: server).")


@app.command()
def status(tctx: typer.Context, server: ServerOption = None, as_json: JsonOption = False) -> None:
    """Which desk, which account, where the token comes from, and whether the desk accepts it."""
    ctx: Context = tctx.obj
    if (server or ctx.server) == SANDBOX:
        report = {"server": SANDBOX, "user": ctx.client.me().name, "source": None, "accepted": True}
        emit(ctx, report, as_json, lambda c, r: c.console.print(f"Using the embedded sandbox as {r['user']}; no sign-in needed."))
        return
    url = _desk_url(ctx, server)
    token = credentials.find(url)
    if token is None:
        raise NotSignedIn(f"You are not signed in to {url}.")
    from ..client.http import HttpClient

    checker = HttpClient(url, token.value, insecure=ctx.insecure)
    try:
        user, accepted = checker.me(), True
    except NotSignedIn:
        user, accepted = None, False
    finally:
        checker.close()
    report = {
        "server": url,
        "user": user.name if user else None,
        "role": user.role if user else None,
        "source": token.source,
        "where": token.where,
        "accepted": accepted,
    }
    emit(ctx, report, as_json, _show_status)
    if not accepted:
        raise typer.Exit(exits.NOT_SIGNED_IN)


def _show_status(ctx: Context, report: dict) -> None:
    source = credentials.Token("", report["source"], report["where"]).describe()
    if report["accepted"]:
        ctx.console.print(f"Signed in to {report['server']} as {report['user']} ({report['role']}); token from {source}.")
    else:
        ctx.console.print(
            f"{report['server']} rejects the token from {source}. Sign in again with `vksupport auth login`."
        )


@app.command()
def logout(tctx: typer.Context, server: ServerOption = None) -> None:
    """Forget the token for a desk (keyring and plain file)."""
    ctx: Context = tctx.obj
    url = _desk_url(ctx, server)
    removed = credentials.forget(url)
    if removed:
        ctx.console.print(f"Signed out of {url}: the token is removed from {' and '.join(removed)}.")
    else:
        ctx.note(f"No stored token for {url}; nothing to remove.")
    if os.environ.get(credentials.TOKEN_ENV):
        ctx.note(f"Note: {credentials.TOKEN_ENV} is still set in your environment.")
