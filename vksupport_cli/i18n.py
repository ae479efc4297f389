"""The language a person reads: gettext catalogues for English (the source) and Russian.

The language comes from ``VKSUPPORT_LANG``, else the first set of ``LC_ALL``,
``LC_MESSAGES``, ``LANG`` (as POSIX reads them); anything but Russian is
English. ``setup()`` runs before Typer and click are imported: they translate
their own words ("Usage:", "Options", their errors) through the process-wide
gettext domain, so binding ours there lets our catalogue speak for them too.

JSON output, exit codes and command and option names never change with the
language: only what a person reads does.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "vksupport"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "ru")
LANG_ENV = "VKSUPPORT_LANG"

#: The language ``setup()`` was told to use; None: follow the environment.
_forced: str | None = None
_loaded: dict[str, _gettext.NullTranslations] = {}


def choose_language(environ: Mapping[str, str] = os.environ) -> str:
    for name in (LANG_ENV, "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip()
        if value:
            code = value.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


def setup(language: str | None = None) -> str:
    """Bind the catalogue for ``language`` (default: from the environment) for this process."""
    global _forced
    _forced = language
    language = language or choose_language()
    os.environ["LANGUAGE"] = language  # what gettext reads first, for click's and Typer's words
    _gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    _gettext.textdomain(DOMAIN)
    return language


def _catalogue() -> _gettext.NullTranslations:
    # Without a language forced by setup(), the environment decides at each call (a few
    # dictionary look-ups): the desk in a server or in tests follows its process's locale.
    language = _forced or choose_language()
    translation = _loaded.get(language)
    if translation is None:
        translation = _loaded[language] = _gettext.translation(
            DOMAIN, LOCALE_DIR, languages=[language], fallback=True
        )
    return translation


def _(message: str) -> str:
    return _catalogue().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalogue().ngettext(singular, plural, n)


def language() -> str:
    info = _catalogue().info()
    return "ru" if info.get("language", "").startswith("ru") else "en"


#: Words that keep their capital wherever they stand: the help centre's name, VK's.
_PROPER_NAMES = frozenset({"Помощь", "Помощи", "Помощью", "ВКонтакте"})


def after_colon(text: str) -> str:
    """``text`` as it reads after a colon, as in "Error: {message}".

    Russian does not capitalise after a colon ("Ошибка: у вас нет вопроса #7."); English keeps
    the sentence's capital. Only an ordinary capitalised Russian word is lowered: an acronym
    ("ОС", "HTTP"), a name ("Помощь", "ВКонтакте") or Latin text keeps its capital.
    """
    if not text or language() != "ru":
        return text
    first = text[0]
    if not ("А" <= first <= "Я" or first == "Ё"):
        return text
    word = text.split(maxsplit=1)[0].rstrip(".,:;!?»)")
    if word in _PROPER_NAMES or (len(word) > 1 and not word[1:].islower()):
        return text
    return first.lower() + text[1:]
