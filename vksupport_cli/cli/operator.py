"""Operator commands for a desk database: `vksupport desk ...`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import paths
from ..i18n import _, ngettext
from .context import Context, UsageError, storage_errors

if TYPE_CHECKING:
    from ..desk.service import Desk

app = typer.Typer(
    help=_("Run and manage a desk: its help centre and whether it takes questions."),
    no_args_is_help=True,
    suggest_commands=False,
)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help=_("The desk's SQLite file. Default: the sandbox's."), metavar="FILE"),
]


def _db_path(db: str | None) -> Path:
    """The database file --db names (default: the sandbox's); a URL or a folder is refused plainly."""
    if db is None:
        return paths.sandbox_db()
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]+)://", db)
    if scheme:
        raise UsageError(
            _("--db takes a SQLite file; this desk cannot use a {scheme}:// URL.").format(scheme=scheme[1])
        )
    path = Path(db).expanduser()
    if path.is_dir():
        raise UsageError(_("--db {path} is a folder; give the database file.").format(path=path))
    return path


def _open(db: str | None) -> Desk:
    from ..desk.service import Desk

    path = _db_path(db)
    with storage_errors(path):
        return Desk.open(path)


def _shown(path: Path) -> str:
    """The database as the operator may see it printed: a path, or a URL without its password."""
    text = str(path)
    return re.sub(r"(://[^/@:]*):[^/@]*@", r"\1:***@", text)


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
    access_log: Annotated[
        bool,
        typer.Option("--access-log", help=_("Print a line for every request (on standard output).")),
    ] = False,
) -> None:
    import os

    try:
        import uvicorn

        from ..server import app as server_app
    except ImportError:
        raise UsageError(_("The server needs its extra packages: pip install 'vksupport[server]'.")) from None
    ctx: Context = tctx.obj
    path = _db_path(db)
    _open(db).close()  # create or migrate once, before the workers start: a bad file is said here
    port = _free_to_listen(host, port)
    os.environ[server_app.DB_ENV] = str(path)
    os.environ[server_app.RATE_ENV] = str(rate_limit)
    address = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    ctx.note(
        ngettext(
            "Serving the desk on {address} (database {db}, {n} worker); stop with Ctrl-C.",
            "Serving the desk on {address} (database {db}, {n} workers); stop with Ctrl-C.",
            workers,
        ).format(address=address, db=_shown(path), n=workers)
    )
    uvicorn.run(
        "vksupport_cli.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http="vksupport_cli.server.protocol:NoDelayH11Protocol",
        log_config=_log_config(access_log),
        log_level=None,
        access_log=access_log,
        server_header=False,
    )
    ctx.note(_("Stopped serving {address}.").format(address=address))


def _free_to_listen(host: str, port: int) -> int:
    """``port`` (a free one for 0) if this machine lets us listen there; else one clear sentence."""
    import errno
    import socket

    from ..errors import Unavailable

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(
            _("Cannot listen on {host}: {reason}; give --host an address of this machine.").format(
                host=host, reason=exc.strerror
            )
        ) from None
    family, kind, proto, _canonical, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Unavailable(
                    _(
                        "Port {port} on {host} is already in use (another desk serve?); stop that program "
                        "or pass another --port."
                    ).format(port=port, host=host)
                ) from None
            raise Unavailable(
                _("Cannot listen on {host} port {port}: {reason}.").format(
                    host=host, port=port, reason=exc.strerror or exc
                )
            ) from None
        return int(probe.getsockname()[1])


def _log_config(access_log: bool) -> dict[str, Any]:
    """uvicorn's logging, quiet but for warnings, errors and (with --access-log) one line a request."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["uvicorn"]["level"] = "WARNING"
    config["loggers"]["uvicorn.error"] = {"level": "WARNING"}
    config["loggers"]["uvicorn.access"]["level"] = "INFO" if access_log else "WARNING"
    return config


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
            metavar="FILE",
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
