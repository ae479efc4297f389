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
    typer.Option(
        "--db",
        envvar="VKSUPPORT_DESK_DB",
        help=_("The desk's database: a SQLite file or a postgresql:// URL. Default: the sandbox's."),
        show_envvar=True,
        metavar="FILE|URL",
    ),
]

#: The URLs a desk database may be (desk/store.py's POSTGRES_SCHEMES; not imported: no desk on --help).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _db_path(db: str | None) -> str | Path:
    """The database --db names (default: the sandbox's): a SQLite file, or a postgresql:// URL as given;
    any other URL, or a folder, is refused plainly."""
    if db is None:
        return paths.sandbox_db()
    if db.startswith(POSTGRES_SCHEMES):
        return db
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]+)://", db)
    if scheme:
        raise UsageError(
            _("A desk database is a SQLite file path or a postgresql:// URL, not a {scheme}:// URL.").format(
                scheme=scheme[1]
            )
        )
    path = Path(db).expanduser()
    if path.is_dir():
        raise UsageError(_("--db {path} is a folder; give the database file.").format(path=path))
    return path


def _open(db: str | None) -> Desk:
    from ..desk.service import Desk

    path = _db_path(db)
    if isinstance(path, str):  # a postgresql:// URL: an unreachable server is the store's sentence
        return Desk.open(path)
    with storage_errors(path):
        return Desk.open(path)


def _shown(path: str | Path) -> str:
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
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            "--forwarded-allow-ips",
            help=_(
                "Addresses of your proxies (comma-separated IPs or networks) whose X-Forwarded-For is "
                "trusted; from anyone else it is ignored. Default: none."
            ),
        ),
    ] = "",
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections",
            min=1,
            help=_("Open connections a worker serves at once; past it, new requests get 503."),
        ),
    ] = 1000,
    header_timeout: Annotated[
        float | None,
        typer.Option(
            "--header-timeout",
            min=0.1,
            help=_("Seconds a client has to send a request's headers. Default: 10."),
            show_default=False,
        ),
    ] = None,
    body_timeout: Annotated[
        float | None,
        typer.Option(
            "--body-timeout",
            min=0.1,
            help=_("Seconds a client has to send a request's body (an upload). Default: 60."),
            show_default=False,
        ),
    ] = None,
    auth_failures: Annotated[
        float | None,
        typer.Option(
            "--auth-failures",
            min=0,
            help=_("Failed sign-ins a minute per client address before 429; 0 turns it off. Default: 20."),
            show_default=False,
        ),
    ] = None,
    questions_per_day: Annotated[
        int | None,
        typer.Option(
            "--questions-per-day",
            min=0,
            help=_("Questions one user may create in 24 hours; 0 turns it off. Default: 20."),
            show_default=False,
        ),
    ] = None,
    attachment_quota: Annotated[
        int | None,
        typer.Option(
            "--attachment-quota",
            min=0,
            help=_("MiB of attachments one user may store in 30 days; 0 turns it off. Default: 200."),
            show_default=False,
        ),
    ] = None,
    access_log: Annotated[
        bool,
        typer.Option("--access-log", help=_("Print a line for every request (on standard output).")),
    ] = False,
    cpus: Annotated[
        str | None,
        typer.Option(
            "--cpus",
            help=_(
                "Pin each worker to one of these CPUs, in turn (0,1 or 0-3; auto: all this process may "
                "use): less CPU a request on a machine given to the desk. Default: not pinned."
            ),
            show_default=False,
        ),
    ] = None,
) -> None:
    import os

    try:
        import uvicorn

        from ..server import app as server_app
        from ..server import protocol
        from ..server import workers as server_workers
    except ImportError:
        raise UsageError(_("The server needs its extra packages: pip install 'vksupport[server]'.")) from None
    ctx: Context = tctx.obj
    try:
        pinned = server_workers.parse_cpus(cpus) if cpus is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    path = _db_path(db)
    _open(db).close()  # create or migrate once, before the workers start: a bad file is said here
    port = _free_to_listen(host, port)
    os.environ[server_app.DB_ENV] = str(path)
    os.environ[server_app.RATE_ENV] = str(rate_limit)
    # An option wins; otherwise the environment ($VKSUPPORT_HEADER_TIMEOUT, ...), else the default.
    for variable, value in (
        (server_app.AUTH_FAILURES_ENV, auth_failures),
        (protocol.HEADER_TIMEOUT_ENV, header_timeout),
        (protocol.BODY_TIMEOUT_ENV, body_timeout),
    ):
        if value is not None:
            os.environ[variable] = str(value)
    from ..desk import limits

    if questions_per_day is not None:
        os.environ[limits.QUESTIONS_ENV] = str(questions_per_day)
    if attachment_quota is not None:
        os.environ[limits.QUOTA_ENV] = str(attachment_quota)
    forwarded = forwarded_allow_ips.strip()
    address = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    ctx.note(
        ngettext(
            "Serving the desk on {address} (database {db}, {n} worker); stop with Ctrl-C.",
            "Serving the desk on {address} (database {db}, {n} workers); stop with Ctrl-C.",
            workers,
        ).format(address=address, db=_shown(path), n=workers)
    )
    options: dict[str, Any] = {
        "app": "vksupport_cli.server.app:create_app",
        "factory": True,
        "host": host,
        "port": port,
        "http": "vksupport_cli.server.protocol:NoDelayH11Protocol",
        "log_config": _log_config(access_log),
        "log_level": None,
        "access_log": access_log,
        "server_header": False,
        # X-Forwarded-For only from the proxies the operator names (uvicorn's default trusts loopback).
        "proxy_headers": bool(forwarded),
        "forwarded_allow_ips": forwarded or None,
        "limit_concurrency": max_connections,
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,
        # Pending long-polls (up to a minute) must not hold a restart: after this, they are cut and
        # their clients, whose GETs are safe to repeat, retry against the node once it is back.
        "timeout_graceful_shutdown": 10,
    }
    if workers > 1 and server_workers.available():
        try:
            # A socket per worker: the kernel spreads connections.
            server_workers.run(options, workers, pinned)
        except server_workers.PortTaken:  # taken since _free_to_listen looked
            raise _port_in_use(host, port) from None
    else:
        server_workers.pin(pinned[0] if pinned else None)
        uvicorn.run(**options, workers=workers)
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
                raise _port_in_use(host, port) from None
            raise Unavailable(
                _("Cannot listen on {host} port {port}: {reason}.").format(
                    host=host, port=port, reason=exc.strerror or exc
                )
            ) from None
        return int(probe.getsockname()[1])


def _port_in_use(host: str, port: int) -> Exception:
    from ..errors import Unavailable

    return Unavailable(
        _(
            "Port {port} on {host} is already in use (another desk serve?); stop that program "
            "or pass another --port."
        ).format(port=port, host=host)
    )


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
