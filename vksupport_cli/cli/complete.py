"""Completion of values (Typer's autocompletion callbacks): topics, articles, statuses, ratings, ids.

A completion runs on every Tab: it must be quick, never ask anything, and never print
into the shell. Each callback asks the desk the configured way (the sandbox on this
machine, or a server with one short request), and on any failure completes nothing;
with --debug (or VKSUPPORT_DEBUG=1) the failure is written to stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from .context import Context
from .render import LIST_STATUSES

#: A completion: the value, and a short description that zsh and fish show beside it.
Item = tuple[str, str]
#: How long a completion may wait for a desk server, in seconds.
SERVER_TIMEOUT = 2.0


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    flag = bool(root.params.get("debug")) or "--debug" in sys.argv
    return flag or os.environ.get("VKSUPPORT_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


@contextmanager
def _desk(ctx: click.Context) -> Iterator[Any]:
    """The desk client for a completion: no prompts, a short timeout, an existing sandbox only."""
    root = ctx.find_root()
    settings = Context(server_option=root.params.get("server"), insecure=bool(root.params.get("insecure")))
    server = settings.server
    if server == "sandbox":
        from ..client.local import LocalClient
        from ..paths import sandbox_db

        path = sandbox_db()
        if not path.exists():  # never build a sandbox just to complete a word
            raise LookupError(f"no sandbox at {path}")
        client: Any = LocalClient.open(path)
    else:
        from .. import credentials
        from ..client.http import HttpClient

        url = settings.server_url
        token = credentials.find(url)
        client = HttpClient(
            url,
            token.value if token else None,
            insecure=settings.insecure,
            attempts=1,
            timeout=SERVER_TIMEOUT,
        )
    try:
        yield client
    finally:
        client.close()


def _quietly(
    find: Callable[[click.Context, Any, str], list[Item]],
) -> Callable[[click.Context, str], list[Item]]:
    def complete(ctx: click.Context, incomplete: str) -> list[Item]:
        try:
            with _desk(ctx) as client:
                return find(ctx, client, incomplete)
        except BaseException as error:
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            if _debug(ctx):
                import traceback

                traceback.print_exception(error, file=sys.stderr)
            return []

    return complete


def _topics(ctx: click.Context, client: Any, incomplete: str) -> list[Item]:
    return [(topic.slug, topic.title) for topic in client.topics() if topic.slug.startswith(incomplete)]


def _articles(ctx: click.Context, client: Any, incomplete: str) -> list[Item]:
    # Every article, not only those that let one ask: search for slugs by their start.
    if client.location == "sandbox":
        from ..desk.helpcenter import bundled_corpus, read_articles

        found = [(a["slug"], a["title"]) for a in read_articles(bundled_corpus())]
        slugs = {slug for slug, _ in found}
        found += [(t.slug, t.title) for t in client.topics() if t.kind == "article" and t.slug not in slugs]
    else:
        found = [(t.slug, t.title) for t in client.topics() if t.kind == "article"]
    return [(slug, title) for slug, title in sorted(found) if slug.startswith(incomplete)]


def _question_ids(ctx: click.Context, client: Any, incomplete: str) -> list[Item]:
    page = client.list_questions(status="all", limit=50)
    return [
        (str(q.id), f"{q.status}: {q.title}"[:80]) for q in page.questions if str(q.id).startswith(incomplete)
    ]


topics = _quietly(_topics)
articles = _quietly(_articles)
question_ids = _quietly(_question_ids)


def statuses(incomplete: str) -> list[str]:
    return [value for value in LIST_STATUSES if value.startswith(incomplete)]


def ratings(incomplete: str) -> list[str]:
    return [value for value in ("good", "bad") if value.startswith(incomplete)]


def settings_keys(incomplete: str) -> list[str]:
    return [value for value in ("server", "pager", "color") if value.startswith(incomplete)]
