"""The help centre as the desk serves it: search, articles, and the topics a question may take."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import BadInput, NotFound
from ..i18n import _
from . import helpcenter, search
from .inputs import require_text
from .models import ADS_CATEGORY, Article, SearchHit, Topic
from .records import DeskPart
from .store import Store


class HelpCentre(DeskPart):
    def search_help(self, query: str, *, category: str | None = None, limit: int = 10) -> list[SearchHit]:
        index = self.store.search_conn()  # the articles with their index, current
        ranked, interpreted_as = search.interpret(index, query, category=category, limit=limit)
        if not ranked:
            return []
        slugs = [slug for slug, _ in ranked]
        rows = {
            row["slug"]: row
            for row in index.execute(
                f"SELECT slug, category, title, title_en, body, can_ask FROM articles"  # noqa: S608 - only ? marks
                f" WHERE slug IN ({','.join('?' * len(slugs))})",
                slugs,
            )
        }
        return [
            SearchHit(
                slug=slug,
                title=rows[slug]["title"],
                title_en=rows[slug]["title_en"],
                category=rows[slug]["category"],
                can_ask=bool(rows[slug]["can_ask"]),
                score=round(score, 4),
                snippet=_snippet(rows[slug]["body"]),
                interpreted_as=interpreted_as,
            )
            for slug, score in ranked
            if slug in rows
        ]

    def article(self, slug: str) -> Article:
        row = self.store.execute("SELECT * FROM articles WHERE slug = ?", (slug,)).fetchone()
        if row is None:
            raise NotFound(_("There is no help article {slug!r}.").format(slug=slug))
        return _article(row)

    def categories(self) -> list[str]:
        return categories(self.store)

    def topics(self) -> list[Topic]:
        """Every topic a question may take: askable articles by category, then categories."""
        articles = [
            Topic(row["slug"], row["title"], row["category"], "article")
            for row in self.store.execute(
                "SELECT slug, title, category FROM articles WHERE can_ask = 1 ORDER BY category, slug"
            )
        ]
        categories = [
            Topic(name, helpcenter.CATEGORIES.get(name, name), name, "category") for name in self.categories()
        ]
        return articles + categories

    def import_help(self, path: str | Path) -> int:
        """Replace the help centre with the JSONL corpus at ``path``; returns the count."""
        return self.store.load_articles(helpcenter.read_articles(path))


def categories(store: Store) -> list[str]:
    rows = store.execute("SELECT DISTINCT category FROM articles ORDER BY category")
    return [row[0] for row in rows]


def check_topic(store: Store, topic: str, kind: str = "standard") -> str:
    """``topic`` if a question of ``kind`` may take it: an askable article's slug, or a category.

    An advertiser's (``ads``) question is answered first, so it takes only a topic about
    advertising: the category ``ADS_CATEGORY`` or one of its askable articles.
    """
    topic = require_text(topic).strip()
    if not topic:
        raise BadInput(_("Choose a topic: a help article you may ask about, or a category."))
    row = store.execute("SELECT can_ask, category FROM articles WHERE slug = ?", (topic,)).fetchone()
    if row is not None:
        if not row["can_ask"]:
            raise BadInput(
                _(
                    "The article {topic!r} answers its question itself; "
                    "choose its category or an article that lets you write to support."
                ).format(topic=topic)
            )
        category = row["category"]
    elif topic in categories(store) or topic in helpcenter.CATEGORIES:
        category = topic
    else:
        raise BadInput(
            _("There is no topic {topic!r}; use an article's slug or a category.").format(topic=topic)
        )
    if kind == "ads" and category != ADS_CATEGORY:
        raise BadInput(
            _(
                "An advertiser's question is answered first but only about advertising: choose a topic "
                "from the category “{title}” ({category}), or ask an ordinary question."
            ).format(title=helpcenter.CATEGORIES.get(ADS_CATEGORY, ADS_CATEGORY), category=ADS_CATEGORY)
        )
    return topic


def _article(row: Any) -> Article:
    return Article(
        slug=row["slug"],
        category=row["category"],
        title=row["title"],
        title_en=row["title_en"],
        body=row["body"],
        tags=json.loads(row["tags"]),
        can_ask=bool(row["can_ask"]),
    )


def _snippet(body: str, size: int = 160) -> str:
    text = " ".join(re.sub(r"[*#>`_]+", " ", body).split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"
