"""The help centre's categories and the names people read, in one table.

The slugs are the categories of DESIGN.md; each has its Russian name (what the
help centre and the desk's JSON show, like the articles' titles) and its English
name (what the CLI shows to an English reader). An imported corpus may add other
categories: they are shown by their slug. Standard library only, so the CLI can
name a category without loading the desk.
"""

from __future__ import annotations

from typing import NamedTuple


class CategoryName(NamedTuple):
    ru: str
    en: str


CATEGORIES: dict[str, CategoryName] = {
    "account": CategoryName("Аккаунт и вход", "Account and sign-in"),
    "security": CategoryName("Безопасность", "Security"),
    "privacy": CategoryName("Приватность", "Privacy"),
    "blocked": CategoryName("Блокировка страницы", "Blocked pages"),
    "messages": CategoryName("Сообщения", "Messages"),
    "photos": CategoryName("Фотографии", "Photos"),
    "communities": CategoryName("Сообщества", "Communities"),
    "apps-games": CategoryName("Приложения и игры", "Apps and games"),
    "payments": CategoryName("Платежи", "Payments"),
    "ads-business": CategoryName("Реклама и бизнес", "Ads and business"),
    "verification": CategoryName("Верификация", "Verification"),
    "complaints": CategoryName("Жалобы", "Complaints"),
    "support-desk": CategoryName("Работа поддержки", "How support works"),
}


def category_name(slug: str, language: str = "ru") -> str:
    """The name of category ``slug`` in ``language`` ("ru" or "en"); an unknown one is its slug."""
    names = CATEGORIES.get(slug)
    if names is None:
        return slug
    return names.en if language == "en" else names.ru
