"""Signing in to a deployed desk: auth login, status, logout."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from .. import credentials
from ..errors import NotSignedIn
from ..i18n import _
from . import exits
from .context import SANDBOX, Context, UsageError
from .helpcentre import JsonOption
from .render import emit, escape

app = typer.Typer(
    help=_("Sign in to a desk, see who you are, sign out."),
    no_args_is_help=True,
    suggest_commands=False,
)

ServerOption = Annotated[
    str | None,
    typer.Option("--server", help=_("The desk's URL (default: the configured one)."), show_default=False),
]


def _desk_url(ctx: Context, server: str | None) -> str:
    if server:
        ctx.server_option = server
    if ctx.server == SANDBOX:
        raise UsageError(
            _(
                "The sandbox needs no sign-in. To sign in to a desk, pass --server https://DESK (or set VKSUPPORT_SERVER)."
            )
        )
    return ctx.server_url


def _kept_in(source: str, where: str) -> str:
    return {
        "keyring": _("The token is kept in the OS keyring ({where})."),
        "file": _("The token is kept in a plain file ({where})."),
    }[source].format(where=where)


def _token_from(source: str, where: str) -> str:
    return {
        "environment": _("the token comes from the environment ({where})"),
        "keyring": _("the token comes from the OS keyring ({where})"),
        "file": _("the token comes from a plain file ({where})"),
    }[source].format(where=where)


@app.command(help=_("Sign in with an API token: checked with the desk, then kept in the OS keyring."))
def login(
    tctx: typer.Context,
    server: ServerOption = None,
    with_token: Annotated[
        bool, typer.Option("--with-token", help=_("Read the token from standard input (for scripts)."))
    ] = False,
    insecure_storage: Annotated[
        bool,
        typer.Option(
            "--insecure-storage",
            help=_("Keep the token in a plain file (mode 0600) instead of the OS keyring."),
        ),
    ] = False,
) -> None:
    ctx: Context = tctx.obj
    url = _desk_url(ctx, server)
    if with_token:
        token = ctx.stdin.readline().strip()
        if not token:
            raise UsageError(
                _(
                    "No token on standard input; pipe it in, e.g. `vksupport auth login --with-token < token.txt`."
                )
            )
    else:
        if not ctx.interactive:
            raise UsageError(
                _("No terminal to ask for the token; pass --with-token and give it on standard input.")
            )
        import click

        token = click.prompt(_("Paste your API token (input is hidden)"), hide_input=True, err=True).strip()
    from ..client.http import HttpClient

    checker = HttpClient(url, token, insecure=ctx.insecure)
    try:
        user = checker.me()
    except NotSignedIn:
        # Not "sign in with auth login": that is what was just run. The token itself is the problem.
        raise NotSignedIn(
            _(
                "{url} rejects this token, so it was not stored. Check that you copied the whole token, "
                "or ask the desk's operator for a new one."
            ).format(url=url),
            login=True,
        ) from None
    finally:
        checker.close()
    kept = credentials.store(url, token, insecure_storage=insecure_storage)
    _remember_server(ctx, url)
    ctx.console.print(
        _("Signed in to {url} as {name}.").format(url=url, name=escape(user.name, line=True))
        + " "
        + _kept_in(kept.source, kept.where)
    )
    if insecure_storage:
        ctx.note(
            _("Note: the token is in plain text in {path}, readable only by you (mode 0600).").format(
                path=kept.where
            )
        )
    if os.environ.get(credentials.TOKEN_ENV):
        ctx.note(
            _("Note: {variable} is set and wins over the stored token.").format(
                variable=credentials.TOKEN_ENV
            )
        )


def _remember_server(ctx: Context, url: str) -> None:
    from ..config import save

    settings = {k: str(v) for k, v in ctx.config.items()}
    if settings.get("server") != url:
        settings["server"] = url
        save(settings)
        ctx.note(_("{url} is now your default desk (config: server).").format(url=url))


@app.command(
    help=_("Which desk, which account, where the token comes from, and whether the desk accepts it.")
)
def status(tctx: typer.Context, server: ServerOption = None, as_json: JsonOption = False) -> None:
    ctx: Context = tctx.obj
    if server:
        ctx.server_option = server
    desk, why = ctx.server_choice
    if desk == SANDBOX:
        report = {
            "server": SANDBOX,
            "server_source": why,
            "user": ctx.client.me().name,
            "source": None,
            "accepted": True,
        }
        emit(
            ctx,
            report,
            as_json,
            lambda c, r: c.console.print(
                _("Using the embedded sandbox as {name}; no sign-in needed.").format(
                    name=escape(r["user"], line=True)
                )
                + " "
                + _why_desk(r["server_source"], SANDBOX)
            ),
        )
        return
    url = _desk_url(ctx, None)
    token = credentials.find(url)
    if token is None:
        raise NotSignedIn(
            _("You are not signed in to {url}.").format(url=url) + " " + _why_desk(why), why=why
        )
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
        "server_source": why,
        "user": user.name if user else None,
        "role": user.role if user else None,
        "source": token.source,
        "where": token.where,
        "accepted": accepted,
    }
    emit(ctx, report, as_json, _show_status)
    if not accepted:
        raise typer.Exit(exits.NOT_SIGNED_IN)


def _why_desk(why: str, desk: str = "") -> str:
    """Why this desk is the one in use, as a sentence (and how to change it)."""
    if why == "config" and desk == SANDBOX:
        return _("Your config names the sandbox as the default desk.")
    return {
        "flag": _("This desk comes from the --server option."),
        "env": _("This desk comes from the VKSUPPORT_SERVER environment variable."),
        "config": _(
            "This desk is the default in your config; go back to the sandbox with: vksupport config set server sandbox"
        ),
        "default": _(
            "The sandbox is the default desk; pick another with --server or: vksupport config set server URL"
        ),
    }[why]


def _show_status(ctx: Context, report: dict[str, Any]) -> None:
    source = _token_from(report["source"], report["where"])
    why = _why_desk(report["server_source"])
    if report["accepted"]:
        signed_in = (
            _("Signed in to {url} as {name} (an agent)")
            if report["role"] == "agent"
            else _("Signed in to {url} as {name}")
        )
        ctx.console.print(
            signed_in.format(url=report["server"], name=escape(report["user"], line=True))
            + "; "
            + source
            + ". "
            + why
        )
    else:
        ctx.console.print(
            _("{url} rejects the token; {source}. Sign in again with `vksupport auth login`.").format(
                url=report["server"], source=source
            )
            + " "
            + why
        )


@app.command(help=_("Forget the token for a desk (keyring and plain file)."))
def logout(tctx: typer.Context, server: ServerOption = None) -> None:
    ctx: Context = tctx.obj
    url = _desk_url(ctx, server)
    removed = credentials.forget(url)
    for source, where in removed:
        message = (
            _("Signed out of {url}: the token is removed from the OS keyring ({where}).")
            if source == "keyring"
            else _("Signed out of {url}: the token is removed from the plain file {where}.")
        )
        ctx.console.print(message.format(url=url, where=where))
    if not removed:
        ctx.note(_("No stored token for {url}; nothing to remove.").format(url=url))
    if os.environ.get(credentials.TOKEN_ENV):
        ctx.note(
            _("Note: {variable} is still set in your environment.").format(variable=credentials.TOKEN_ENV)
        )
