"""Several worker processes on one port, each listening on a socket of its own (SO_REUSEPORT).

uvicorn's ``--workers N`` binds one socket that every worker accepts from.
Whichever worker's event loop wakes first accepts every connection waiting (an
asyncio server accepts up to its backlog per wake-up), so a burst of new
connections lands on one worker, and keep-alive connections stay where they
landed: measured under 100 connections, two workers held them 66/34 and served
no more than one. Here every worker binds the port itself with
``SO_REUSEPORT``, and the kernel spreads new connections across the workers'
sockets by a hash of their addresses.

With ``--cpus``, worker ``i`` is pinned to the ``i``-th CPU given (in turn). A
worker's desk calls run in threads (pool.py), and every call hands Python's GIL
from the event loop's thread to a desk thread and back, several times (SQLite
releases it on each row); between two cores each hand-over is a wake-up across
them. Pinned, the hand-overs stay on one core: measured with 100 connections on
the list, about a fifth less CPU a request (bench/README.md). Off by default: a
pinned worker cannot move away from a core that something else keeps busy.

The parent only supervises: it starts the workers (spawned, each importing the
app afresh), starts a worker again if one dies, and on SIGINT or SIGTERM passes
SIGTERM to every worker (uvicorn's graceful stop) and waits for them. Where the
system has no ``SO_REUSEPORT``, uvicorn's own workers serve instead.
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import os
import signal
import socket
import sys
import time
from typing import Any

from ..i18n import _

#: A worker that dies sooner than this after its start is started again no sooner than this.
RESTART_PAUSE = 1.0
#: A worker's exit code when the port is taken by a socket that does not share it (another program).
PORT_TAKEN = 98


class PortTaken(Exception):
    """The port is held by another program: no worker can listen on it."""


def available() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` that other sockets of this user may bind too."""
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


def parse_cpus(text: str) -> list[int]:
    """The CPUs ``--cpus`` names ("0,2", "0-3", or "auto": every CPU this process may run on).

    Raises ValueError with the sentence to show when ``text`` names none, or one not allowed here.
    """
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not allowed:
        raise ValueError(_("--cpus needs a system that can pin a process to a CPU (Linux); leave it out."))
    if text.strip() == "auto":
        return allowed
    cpus: list[int] = []
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        if not (low.isdigit() and (not dash or high.isdigit())):
            raise ValueError(
                _("--cpus takes CPU numbers like 0,1 or 0-3, or auto; not {text}.").format(text=text)
            )
        first, last = int(low), int(high) if dash else int(low)
        cpus.extend(range(first, last + 1))
    if not cpus:
        raise ValueError(
            _("--cpus takes CPU numbers like 0,1 or 0-3, or auto; not {text}.").format(text=text)
        )
    if stray := sorted(set(cpus) - set(allowed)):
        shown = ",".join(map(str, allowed))
        raise ValueError(
            _("CPU {cpu} is not one this process may run on ({allowed}); give --cpus those.").format(
                cpu=stray[0], allowed=shown
            )
        )
    return cpus


def pin(cpu: int | None) -> None:
    """Keep this process, and the threads it starts from now on, on ``cpu`` (None: anywhere)."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def _worker(options: dict[str, Any], cpu: int | None = None) -> None:
    """One worker process: its own socket on the shared port, then uvicorn until told to stop."""
    import uvicorn

    pin(cpu)

    config = uvicorn.Config(**options)
    try:
        sock = listening_socket(config.host, config.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            sys.exit(PORT_TAKEN)  # the parent says so, once
        raise
    config.configure_logging()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches every worker; the parent reports it
        uvicorn.Server(config).run(sockets=[sock])


def run(options: dict[str, Any], workers: int, cpus: list[int] | None = None) -> None:
    """Serve ``uvicorn.Config(**options)`` (host and port included) with ``workers`` processes,
    worker ``i`` pinned to ``cpus[i % len(cpus)]`` if ``cpus`` are given.

    Raises ``PortTaken`` when a worker cannot bind the port (another program holds it).
    """
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes: list[tuple[Any, float]] = []  # (a spawned process, when it started)
    try:

        def cpu(slot: int) -> int | None:
            return cpus[slot % len(cpus)] if cpus else None

        for slot in range(workers):
            process = context.Process(target=_worker, args=(options, cpu(slot)), name="desk-worker")
            process.start()
            processes.append((process, time.monotonic()))
        while not stopping:
            time.sleep(0.2)
            for slot, (process, started) in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                process.join()
                if process.exitcode == PORT_TAKEN:
                    raise PortTaken(options["port"])
                if time.monotonic() - started < RESTART_PAUSE:
                    time.sleep(RESTART_PAUSE)
                again = context.Process(target=_worker, args=(options, cpu(slot)), name="desk-worker")
                again.start()
                processes[slot] = (again, time.monotonic())
    finally:
        for process, _started in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        for process, _started in processes:
            process.join(timeout=float(options.get("timeout_graceful_shutdown") or 10) + 5)
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
