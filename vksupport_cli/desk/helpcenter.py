"""The help centre's corpus: reading JSONL articles and loading them into the desk."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

from ..errors import BadInput
from . import db

#: The categories of DESIGN.md with the names the help centre shows; an
#: imported corpus may add others (shown by their slug).
CATEGORIES = {
    "account": "Аккаунт и вход",
    "security": "Безопасность",
    "privacy": "Приватность",
    "blocked": "Блокировка страницы",
    "messages": "Сообщения",
    "photos": "Фотографии",
    "communities": "Сообщества",
    "apps-games": "Приложения и игры",
    "payments": "Платежи",
    "ads-business": "Реклама и бизнес",
    "verification": "Верификация",
    "complaints": "Жалобы",
    "support-desk": "Работа поддержки",
}

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
MAX_ARTICLE_BODY = 200_000


def bundled_corpus() -> Path:
    return Path(str(resources.files("vksupport_cli.desk") / "data" / "articles.jsonl"))


def read_articles(path: str | Path) -> list[dict]:
    """Parse and validate a JSONL corpus; raises BadInput naming the bad line."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path} is not UTF-8 text.") from exc
    articles = list(_parse(text.splitlines(), str(path)))
    if not articles:
        raise BadInput(f"{path} holds no articles.")
    return articles


def _parse(lines: Iterable[str], source: str) -> Iterator[dict]:
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}, line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{where} is not valid JSON ({exc.msg}).") from exc
        if not isinstance(item, dict):
            raise BadInput(f"{where} is not a JSON object.")
        article = _article(item, where)
        if article["slug"] in seen:
            raise BadInput(f"{where} repeats the slug {article['slug']!r}.")
        seen.add(article["slug"])
        yield article


def _article(item: dict, where: str) -> dict:
    def text(name: str, required: bool = True) -> str:
        value = item.get(name, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise BadInput(f"{where}: {name!r} must be a non-empty string.")
        return value.strip()

    def words(name: str) -> list[str]:
        value = item.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadInput(f"{where}: {name!r} must be a list of strings.")
        return [v.strip() for v in value if v.strip()]

    slug = text("slug")
    if not _SLUG.match(slug):
        raise BadInput(f"{where}: slug {slug!r} must be lowercase letters, digits and dashes.")
    category = text("category")
    if not _SLUG.match(category):
        raise BadInput(f"{where}: category {category!r} must be lowercase letters, digits and dashes.")
    body = text("body")
    if len(body) > MAX_ARTICLE_BODY:
        raise BadInput(f"{where}: body is longer than {MAX_ARTICLE_BODY} characters.")
    can_ask = item.get("can_ask", False)
    if not isinstance(can_ask, bool):
        raise BadInput(f"{where}: 'can_ask' must be true or false.")
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


def load(conn: sqlite3.Connection, articles: list[dict], *, replace: bool = True) -> int:
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
