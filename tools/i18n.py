"""What Babel does not check in our catalogue, and whether the committed catalogue is current.

The catalogue is made with Babel, configured in pyproject.toml ([tool.babel.*]):

    pybabel extract                # the sources -> vksupport_cli/locale/vksupport.pot (not committed)
    pybabel update                 # new msgids into vksupport_cli/locale/ru.po; translate them
    pybabel compile                # ru.po -> vksupport_cli/locale/ru/LC_MESSAGES/vksupport.mo (committed)
    python tools/i18n.py check     # what tests/test_i18n.py checks

Babel keeps the plural rules and headers right and refuses a wrong number of plural forms. It
does not know our ``str.format`` placeholders ("{id}"), does not fail on a message left
untranslated or fuzzy, and cannot say whether the committed ru.po and .mo still match the
sources: ``check()`` does, with Babel's own extraction and reading (a dev/test dependency; the
CLI never imports Babel).
"""

from __future__ import annotations

import string
import sys
import tomllib
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "vksupport_cli" / "locale"
PO = LOCALE / "ru.po"
MO = LOCALE / "ru" / "LC_MESSAGES" / "vksupport.mo"
#: click's and Typer's own words, listed for extraction (never imported).
CLICK_WORDS = LOCALE / "click_words.py"

Msgid = str | tuple[str, str]  # a message, or (singular, plural) for ngettext


def _babel_config() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["tool"]["babel"]


def extracted() -> dict[str, str | None]:
    """msgid -> its plural (or None), as `pybabel extract` finds them with pyproject.toml's settings."""
    config = _babel_config()
    method_map = [(mapping["pattern"], mapping["method"]) for mapping in config["mappings"]]
    found: dict[str, str | None] = {}
    for folder in config["extract_messages"]["input_paths"]:
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map, keywords=DEFAULT_KEYWORDS
        ):
            if isinstance(message, tuple):
                found[message[0]] = message[1]
            else:
                found.setdefault(message, None)
    return found


def catalogue(path: Path = PO) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale="ru", domain="vksupport")


def fields(text: str) -> set[str]:
    """The replacement fields of a str.format template: "{id}", "{name!r}", "{}"."""
    try:
        return {
            f"{name}!{conversion}" if conversion else name
            for _, name, _, conversion in string.Formatter().parse(text)
            if name is not None
        }
    except ValueError as exc:
        return {f"<broken template: {exc}>"}


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def check(po: Path = PO, mo: Path = MO) -> list[str]:
    """Everything wrong with the catalogue ``po`` and its compiled ``mo``; empty when complete and current."""
    problems: list[str] = []
    source = extracted()
    catalog = catalogue(po)
    messages = {
        (message.id[0] if isinstance(message.id, tuple) else message.id): message
        for message in catalog
        if message.id
    }
    for msgid, plural in source.items():
        message = messages.get(msgid)
        if message is None:
            problems.append(f"not in ru.po (run pybabel extract, then pybabel update): {msgid!r}")
            continue
        theirs = message.id[1] if isinstance(message.id, tuple) else None
        if theirs != plural:
            problems.append(f"its plural changed (run pybabel extract, then pybabel update): {msgid!r}")
        strings = _strings(message)
        if message.fuzzy or not all(strings):
            problems.append(f"not translated{' (fuzzy)' if message.fuzzy else ''}: {msgid!r}")
            continue
        allowed = fields(msgid) | fields(plural or "")
        for text in strings:
            if not fields(text) <= allowed:
                problems.append(
                    f"placeholders {sorted(fields(text) - allowed)} are not in the msgid: {msgid!r}"
                )
    problems += [
        f"no longer in the sources (run pybabel extract, then pybabel update): {msgid!r}"
        for msgid in messages.keys() - source.keys()
    ]
    if not mo.exists():
        problems.append(f"{mo.name} is missing: run pybabel compile")
    else:
        with mo.open("rb") as handle:
            compiled = read_mo(handle)
        if _translations(compiled) != _translations(catalog) or compiled.plural_forms != catalog.plural_forms:
            problems.append(f"{mo.name} is stale: run pybabel compile")
    return problems


def _translations(catalog: Catalog) -> dict[Msgid, tuple[str, ...]]:
    return {
        (tuple(message.id) if isinstance(message.id, (tuple, list)) else message.id): tuple(_strings(message))
        for message in catalog
        if message.id and not message.fuzzy and all(_strings(message))
    }


def main(command: str) -> int:
    if command != "check":
        print(__doc__)
        return 2
    problems = check()
    print("\n".join(problems) or "catalogue complete and compiled")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
