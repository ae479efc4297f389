"""The help centre's corpus: reading JSONL articles and loading them into the desk."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..i18n import _, ngettext
from . import categories, db

#: slug -> Russian name, for the desk (the names in both languages live in categories.py).
CATEGORIES = {slug: names.ru for slug, names in categories.CATEGORIES.items()}

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
MAX_ARTICLE_BODY = 200_000


def bundled_corpus() -> Path:
    return Path(str(resources.files("vksupport_cli.desk") / "data" / "articles.jsonl"))


def read_articles(path: str | Path) -> list[dict[str, Any]]:
    """Parse and validate a JSONL corpus; raises BadInput naming the bad line."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(
            _("Cannot read {path}: {reason}.").format(path=path, reason=exc.strerror or exc)
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(_("{path} is not UTF-8 text.").format(path=path)) from exc
    articles = list(_parse(text.splitlines(), str(path)))
    if not articles:
        raise BadInput(_("{path} holds no articles.").format(path=path))
    return articles


def _parse(lines: Iterable[str], source: str) -> Iterator[dict[str, Any]]:
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = _("{source}, line {number}").format(source=source, number=number)
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(
                _("{where} is not valid JSON ({reason}).").format(where=where, reason=exc.msg)
            ) from exc
        if not isinstance(item, dict):
            raise BadInput(_("{where} is not a JSON object.").format(where=where))
        article = _article(item, where)
        if article["slug"] in seen:
            raise BadInput(_("{where} repeats the slug {slug!r}.").format(where=where, slug=article["slug"]))
        seen.add(article["slug"])
        yield article


def _article(item: dict[str, Any], where: str) -> dict[str, Any]:
    def text(name: str, required: bool = True) -> str:
        value = item.get(name, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise BadInput(_("{where}: {name!r} must be a non-empty string.").format(where=where, name=name))
        return value.strip()

    def words(name: str) -> list[str]:
        value = item.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadInput(_("{where}: {name!r} must be a list of strings.").format(where=where, name=name))
        return [v.strip() for v in value if v.strip()]

    slug = text("slug")
    if not _SLUG.match(slug):
        raise BadInput(
            _("{where}: slug {slug!r} must be lowercase letters, digits and dashes.").format(
                where=where, slug=slug
            )
        )
    category = text("category")
    if not _SLUG.match(category):
        raise BadInput(
            _("{where}: category {category!r} must be lowercase letters, digits and dashes.").format(
                where=where, category=category
            )
        )
    body = text("body")
    if len(body) > MAX_ARTICLE_BODY:
        raise BadInput(
            ngettext(
                "{where}: body is longer than {limit} character.",
                "{where}: body is longer than {limit} characters.",
                MAX_ARTICLE_BODY,
            ).format(where=where, limit=MAX_ARTICLE_BODY)
        )
    can_ask = item.get("can_ask", False)
    if not isinstance(can_ask, bool):
        raise BadInput(_("{where}: 'can_ask' must be true or false.").format(where=where))
    return {
        "slug": slug,
        "category": category,
        "title": text("title"),
        "title_en": text("title_en", required=False),
        "body": body,
        "tags": words("tags"),
        "keywords": words("keywords"),
        "can_ask": can_ask,
    }


def load(conn: sqlite3.Connection, articles: list[dict[str, Any]], *, replace: bool = True) -> int:
    """Store ``articles`` (replacing the whole corpus by default) and rebuild the index."""
    from . import search  # the index is derived from the articles table

    with db.write(conn):
        if replace:
            conn.execute("DELETE FROM articles")
        conn.executemany(
            """
            INSERT INTO articles (slug, category, title, title_en, body, tags, keywords, can_ask)
            VALUES (:slug, :category, :title, :title_en, :body, :tags, :keywords, :can_ask)
            ON CONFLICT (slug) DO UPDATE SET
                category = excluded.category, title = excluded.title,
                title_en = excluded.title_en, body = excluded.body, tags = excluded.tags,
                keywords = excluded.keywords, can_ask = excluded.can_ask
            """,
            [
                {
                    **a,
                    "tags": json.dumps(a["tags"], ensure_ascii=False),
                    "keywords": json.dumps(a["keywords"], ensure_ascii=False),
                    "can_ask": int(a["can_ask"]),
                }
                for a in articles
            ],
        )
        search.rebuild_index(conn)
    return len(articles)


def ensure_loaded(conn: sqlite3.Connection) -> None:
    """Load the bundled corpus into a desk that has no articles yet."""
    if conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is not None:
        return
    with db.write(conn):  # re-check under the lock: another process may be loading it
        if conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None:
            load(conn, read_articles(bundled_corpus()))
