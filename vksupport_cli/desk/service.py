"""The desk: every rule of DESIGN.md "The desk's rules", as one facade over its parts.

Each part governs one thing, in its own module:

- accounts.py     accounts and tokens
- questions.py    questions and their life (ask, list, edit, delete, rate, close; the switch)
- comments.py     comments and answers
- attachments.py  attachments
- queue.py        the agent queue (take, queue)
- articles.py     the help centre (search, articles, topics)

They share records.py (reading questions, what a user may see), inputs.py
(limits and the checks on what callers send) and idempotency.py (replayed
creates). They speak to the database through store.py, the one seam where
databases differ (SQLite there, PostgreSQL in postgres.py). Callers pass the acting ``User``; the desk decides what that
user may see and do. Each write runs in one transaction, and the rules that
must hold across processes and nodes are the database's (schema.py). Each call
of the desk runs on one connection of the store (``Store.pinned``): on
PostgreSQL its statements do not each go back to the pool for another.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from .accounts import Accounts, hash_token
from .articles import HelpCentre
from .attachments import ATTACHMENT_TYPES, TEXT_SUFFIXES, Attachments
from .comments import Comments
from .inputs import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENTS_MAX,
    BODY_MAX,
    COMMENT_MAX,
    LINK_MAX,
    LIST_LIMIT_MAX,
    NAME_MAX,
    RATING_COMMENT_MAX,
    TITLE_MAX,
)
from .limits import Limits
from .questions import LIST_FILTERS, Questions
from .queue import AgentQueue
from .records import LOAD_THRESHOLD, LOADED_ANSWER_TIME, STANDARD_ANSWER_TIME, iso, parse_iso, utc_now
from .store import SQLiteStore, Store, open_store

__all__ = [
    "ATTACHMENTS_MAX",
    "ATTACHMENT_MAX_BYTES",
    "ATTACHMENT_TYPES",
    "BODY_MAX",
    "COMMENT_MAX",
    "LINK_MAX",
    "LIST_FILTERS",
    "LIST_LIMIT_MAX",
    "LOADED_ANSWER_TIME",
    "LOAD_THRESHOLD",
    "NAME_MAX",
    "RATING_COMMENT_MAX",
    "STANDARD_ANSWER_TIME",
    "TEXT_SUFFIXES",
    "TITLE_MAX",
    "Desk",
    "hash_token",
    "iso",
    "parse_iso",
    "utc_now",
]


#: The desk's calls: each runs its statements on one connection (``Store.pinned``). Not
#: ``search_help``: on PostgreSQL it may wait for this node's search index to be rebuilt by
#: another call, and must not hold a connection of the pool while it waits.
CALLS = (
    "accepting",
    "add_user",
    "answer",
    "article",
    "ask",
    "attach",
    "attachment_chunks",
    "attachment_content",
    "categories",
    "close_question",
    "comment",
    "delete_question",
    "edit_question",
    "ensure_user",
    "get_question",
    "import_help",
    "list_page",
    "list_questions",
    "question_key",
    "queue",
    "rate",
    "set_accepting",
    "take",
    "topics",
    "user_by_token",
)

_Call = TypeVar("_Call", bound=Callable[..., Any])


def _pinned(call: _Call) -> _Call:
    @functools.wraps(call)
    def run(desk: Desk, *args: Any, **kwargs: Any) -> Any:
        with desk.store.pinned():
            return call(desk, *args, **kwargs)

    return run  # type: ignore[return-value]


class Desk(Accounts, HelpCentre, Questions, Comments, Attachments, AgentQueue):
    """The support desk: every part, over one store."""

    def __init__(
        self,
        store: Store | sqlite3.Connection,
        clock: Callable[[], datetime] = utc_now,
        limits: Limits | None = None,
    ):
        super().__init__(
            SQLiteStore(store) if isinstance(store, sqlite3.Connection) else store, clock, limits
        )

    @property
    def conn(self) -> sqlite3.Connection:
        """The SQLite connection of a desk in a SQLite file (tests and the operator reach past the rules)."""
        if not isinstance(self.store, SQLiteStore):
            raise AttributeError("a PostgreSQL desk has no single connection")
        return self.store.conn

    @classmethod
    def open(
        cls, target: str | Path, clock: Callable[[], datetime] = utc_now, *, limits: Limits | None = None
    ) -> Desk:
        """Open (creating or migrating) the desk at ``target`` (a SQLite path or a postgresql:// URL),
        with the help centre loaded.

        ``limits``: per-user limits (limits.py); none by default, as in the sandbox.
        """
        store = open_store(target)
        store.ensure_articles()
        return cls(store, clock, limits)

    def close(self) -> None:
        self.store.close()


for _name in CALLS:
    setattr(Desk, _name, _pinned(getattr(Desk, _name)))
