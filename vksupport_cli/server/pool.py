"""Desk calls off the event loop: a bounded pool of threads, each reaching the desk's database.

A handler parses its request on the event loop, then awaits ``DeskPool.run``,
which runs one desk method in one of ``threads`` threads and hands back its
result (or raises its ``DeskError``, mapped to a status by the caller). While a
slow call (a help-index rebuild, a large attachment going into the database, a
query waiting for a lock) holds its thread, the loop goes on serving every
other connection; at most ``threads`` calls run at once per worker, the rest
queue for a thread. Long-polls wait on the loop and hold no thread.

How the threads reach the database depends on the store:

- SQLite: each thread opens its own connection to the file (WAL lets readers
  run beside the one writer; writers queue on the file's lock, in their thread,
  up to its busy timeout). The desk opened first (``main``) migrates the file
  and loads the help centre once; the threads' desks only connect.
- PostgreSQL: one desk, shared: its psycopg pool hands each statement a
  connection and pins one to a thread for a write transaction, so the pool is
  made at least ``threads`` + 2 connections large (the queue's and the search
  index's reads need a few more).

A download's pieces are read one call at a time, each on whichever thread is
free, through the desk that opened the download; on SQLite that may be another
thread's connection, which SQLite serialises (``sqlite3.threadsafety`` 3), and
a piece is one SELECT, no transaction.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from ..desk import db
from ..desk.limits import Limits
from ..desk.models import User
from ..desk.service import Desk
from ..desk.store import SQLiteStore, is_postgres

THREADS_ENV = "VKSUPPORT_DESK_THREADS"  # desk calls one worker runs at once
DEFAULT_THREADS = 8
#: Seconds a worker trusts a token the desk accepted without asking again. Every request would
#: otherwise add a database round trip (half of a GET's on PostgreSQL, measured in
#: bench/server_load.py); the desk issues a token once and never changes or withdraws it, and were
#: that to change, a withdrawn token would be refused by every worker within this.
TOKEN_TRUST_SECONDS = 5.0
#: Tokens a worker remembers at once (the one accepted longest ago goes first: a token in use is
#: accepted again every TOKEN_TRUST_SECONDS).
TOKENS_KEPT = 10_000

P = ParamSpec("P")
T = TypeVar("T")


def threads_from_env() -> int:
    try:
        threads = int(os.environ.get(THREADS_ENV, DEFAULT_THREADS))
    except ValueError:
        return DEFAULT_THREADS
    return max(1, min(threads, 64))


class DeskPool:
    """One worker's way to its desk: ``await pool.run(Desk.method, *args)``; as a user, ``signed_in``."""

    def __init__(self, target: str, *, limits: Limits, threads: int = DEFAULT_THREADS):
        self.target = target
        self.limits = limits
        self._main: Desk | None = None
        self._shared = is_postgres(target) or target == ":memory:"  # one desk for every thread
        # An in-memory SQLite desk is one connection: its transactions must not interleave.
        self.threads = 1 if target == ":memory:" else threads
        self._local = threading.local()
        self._opened: list[Desk] = []
        self._opened_lock = threading.Lock()  # guards _main and _opened
        self._executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="desk")
        self.tokens = AcceptedTokens()

    @property
    def main(self) -> Desk:
        """The desk opened first (created or migrated, help centre loaded); opened on first use."""
        with self._opened_lock:
            if self._main is None:
                self._main = self._open_main()
            return self._main

    def _open_main(self) -> Desk:
        if is_postgres(self.target):
            from ..desk.postgres import POOL_MAX, PostgresStore

            store = PostgresStore(self.target, max_size=max(POOL_MAX, self.threads + 2))
            store.ensure_articles()
            return Desk(store, limits=self.limits)
        return Desk.open(self.target, limits=self.limits)

    def _desk(self) -> Desk:
        """The desk of the calling thread (a SQLite connection of its own), opened on its first call."""
        if self._shared:
            return self.main
        desk: Desk | None = getattr(self._local, "desk", None)
        if desk is None:
            self.main  # noqa: B018 - the file is migrated once, before any thread connects
            desk = Desk(SQLiteStore(db.connect(self.target)), limits=self.limits)
            with self._opened_lock:
                self._opened.append(desk)
            self._local.desk = desk
        return desk

    async def call(self, work: Callable[[Desk], T]) -> T:
        """``work(desk)`` in a pool thread; its result, or its exception. Every desk call ``work``
        makes (a token check, then the request's call) goes to the database on one connection."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._pinned, work)

    def _pinned(self, work: Callable[[Desk], T]) -> T:
        desk = self._desk()
        with desk.store.pinned():
            return work(desk)

    async def run(self, method: Callable[Concatenate[Desk, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``method(desk, *args, **kwargs)`` in a pool thread; its result, or its exception."""
        return await self.call(lambda desk: method(desk, *args, **kwargs))

    def signed_in(self, token: str, admit: Callable[[User], None]) -> SignedIn:
        """The desk as the user ``token`` names, for one request (see ``SignedIn``)."""
        return SignedIn(self, token, admit)

    def close(self) -> None:
        """Wait for the calls under way, then close every connection."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for desk in opened:
            desk.close()
        if self._main is not None:
            self._main.close()
            self._main = None


class SignedIn:
    """One request's calls to the desk as the user its bearer token names.

    The token is checked in the thread of the first call, before that call's work
    (a GET costs one trip to a thread, not two), or by ``user()`` before a handler
    reads a body (no one unknown gets to send one). ``admit`` (the rate limit)
    runs right after the check, also before any work: it raises to refuse.
    """

    def __init__(self, pool: DeskPool, token: str, admit: Callable[[User], None]):
        self._pool = pool
        self._token = token
        self._admit = admit
        self._user: User | None = None

    def _check(self, desk: Desk) -> User:
        if self._user is None:
            tokens = self._pool.tokens
            user = tokens.get(self._token)
            if user is None:
                user = desk.user_by_token(self._token)  # NotSignedIn for a token the desk does not know
                tokens.accept(self._token, user)
            self._admit(user)
            self._user = user
        return self._user

    async def user(self) -> User:
        """The signed-in user (the token checked now if no call has checked it yet)."""
        return self._user if self._user is not None else await self._pool.call(self._check)

    async def run(
        self, method: Callable[Concatenate[Desk, User, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``method(desk, user, *args, **kwargs)`` in a pool thread, as the signed-in user."""
        return await self._pool.call(lambda desk: method(desk, self._check(desk), *args, **kwargs))


class AcceptedTokens:
    """Tokens the desk accepted lately, with their users: ``TOKEN_TRUST_SECONDS`` each, at most
    ``TOKENS_KEPT``; safe across threads. Only accepted ones: an unknown token always asks the desk
    (and counts as a failed sign-in)."""

    def __init__(self, trust: float = TOKEN_TRUST_SECONDS, kept: int = TOKENS_KEPT):
        self._trust = trust
        self._kept = kept
        self._users: OrderedDict[str, tuple[User, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> User | None:
        with self._lock:
            entry = self._users.get(token)
            if entry is None or entry[1] <= time.monotonic():
                return None
            return entry[0]

    def accept(self, token: str, user: User) -> None:
        with self._lock:
            self._users.pop(token, None)
            self._users[token] = (user, time.monotonic() + self._trust)
            while len(self._users) > self._kept:
                self._users.popitem(last=False)
