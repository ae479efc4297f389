"""Build the help search's gloss table from the Russian Wiktionary's definitions (wiki-ru-wordnet).

    .venv/bin/pip install -e '.[thesaurus]'     # wiki-ru-wordnet ships the Wiktionary database
    .venv/bin/python tools/build_glosses.py     # writes vksupport_cli/desk/data/glosses.tsv.gz

Slang and everyday words ("юзер", "донат", "кинуть", "палить") are rare in the news that
navec's vectors learnt from, but a dictionary defines them with ordinary words: Wiktionary
glosses "юзер" as "[[пользователь]]" and "кинуть" (slang) as "[[обмануть]], [[надуть]]".
The ``wiki-ru-wordnet`` package (MIT; its data is the Russian Wiktionary, CC BY-SA) ships
the senses of 94,000 Russian words as an SQLite file. For every word this script lists the
index terms (``textnorm.term``) that define it, best first, at most ``MAX_TERMS``:

- the other words of its synsets and the word a sense is "the same as" (``{{=|word}}``),
  similarity ``SAME``;
- the words its definitions link (``[[word]]``, ``[[word|form]]``), similarity ``LINKED``;
- with ``--plain N``, the other words of its definitions too, similarity N (usage examples
  left out); off by default.

Only the senses Wiktionary marks colloquial, slang, jargon, vernacular, internet or youth
usage count (``--all-senses`` takes every sense; it lowered the dev set and the project's
own queries): a word no help article has is more likely slang the articles do not use than
a literary sense, and a literary word's definition mostly names other literary words. One
line per word's term: ``term<TAB>near:sim near:sim ...`` (sim in hundredths), and, as in
thesaurus.tsv.gz, one ``stem<TAB>=term`` per form of a glossed word (pymorphy3's lexeme)
whose Snowball stem is not its term ("виснет" → "виснут"; for a word pymorphy3 lacks, the
forms it predicts: "хакнули" → "хакнут"), sorted; the first line credits
the source. The index build keeps the pairs whose neighbour the corpus
has, beside navec's (``search._near_rows``). It takes a few seconds.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import re
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vksupport_cli.desk import textnorm  # noqa: E402

OUTPUT = ROOT / "vksupport_cli" / "desk" / "data" / "glosses.tsv.gz"
MAX_TERMS = 12
SAME, LINKED = 70, 60  # similarities, in hundredths
PLAIN = 0  # of a definition's unlinked words: 0, left out (50 lowered the dev set, bench/README.md)
CREDIT = "# glosses of the Russian Wiktionary (https://ru.wiktionary.org, text CC BY-SA), via the wiki-ru-wordnet package"
_EXAMPLE = re.compile(r"\{\{пример\|(?:[^{}]|\{\{[^{}]*\}\})*\}\}")
_SAME = re.compile(r"\{\{=\|([^|}]+)")
_LINK = re.compile(r"\[\[([^\]|#]+)(?:\|[^\]]*)?\]\]")
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_MARK = re.compile(r"\{\{[^{}|]*(?:разг|сленг|жарг|прост|интернет|неол|мол\.)[^{}]*\}\}")


def database() -> Path:
    spec = importlib.util.find_spec("wiki_ru_wordnet")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("wiki-ru-wordnet is not installed: pip install -e '.[thesaurus]'")
    return Path(next(iter(spec.submodule_search_locations))) / "database" / "wikiwordnet.db"


def terms_of(text: str) -> list[str]:
    """The index terms of the words of ``text`` but stop words, in order."""
    words = textnorm.words(text)
    return [textnorm.term(w) for w in words if textnorm.is_cyrillic(w) and w not in textnorm.STOP_WORDS]


def forms_of(word: str) -> list[str]:
    """The word's forms: its lexeme if pymorphy3 knows it, else the lexeme pymorphy3 predicts
    for it (slang it lacks, "хакнуть": "хакнул", "хакнули")."""
    known = textnorm.forms(word)
    if known:
        return known
    parse = textnorm._morph().parse(word)[0]  # the one analyser textnorm builds
    if parse.normal_form.replace("ё", "е") != word:
        return []
    return list(dict.fromkeys(f.word.replace("ё", "е") for f in parse.lexeme))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--plain", type=int, default=PLAIN, help="similarity of unlinked words, 0: none")
    parser.add_argument("--all-senses", action="store_true", help="not only the marked senses")
    opts = parser.parse_args()

    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{database()}?mode=ro", uri=True)
    members: dict[int, set[str]] = {}
    for sid, lemma in conn.execute("SELECT synset_id, lemma FROM synsets"):
        members.setdefault(sid, set()).add(lemma.lower().replace("ё", "е"))
    # term → [(near term, similarity, marked sense first)] in the order found
    found: dict[str, list[tuple[int, int, str]]] = {}
    headwords: dict[str, set[str]] = {}  # term → the glossed words it is the term of
    rows = conn.execute("SELECT synset_id, lemma, definition FROM synsets ORDER BY synset_id")
    for sid, lemma, definition in rows:
        word = lemma.lower().replace("ё", "е")
        if not textnorm.is_cyrillic(word) or word in textnorm.STOP_WORDS:
            continue
        parts = definition.split("~")
        text = _EXAMPLE.sub(" ", parts[4] if len(parts) > 4 else "")
        rank = 0 if _MARK.search(text) else 1  # a colloquial or slang sense
        if rank and not opts.all_senses:
            continue
        pairs: list[tuple[int, int, str]] = []
        # a phrase stands for its last word, the head ("системный [[администратор]]")
        for other in sorted(members[sid] - {word}):
            pairs += [(rank, -SAME, t) for t in terms_of(other)[-1:]]
        for same in _SAME.findall(text):
            pairs += [(rank, -SAME, t) for t in terms_of(same)[-1:]]
        for link in _LINK.findall(text):
            pairs += [(rank, -LINKED, t) for t in terms_of(link)[-1:]]
        if opts.plain:
            plain = _TEMPLATE.sub(" ", _LINK.sub(" ", text))
            pairs += [(rank, -opts.plain, t) for t in terms_of(plain)]
        found.setdefault(textnorm.term(word), []).extend(pairs)
        if pairs:
            headwords.setdefault(textnorm.term(word), set()).add(word)

    lines = [CREDIT + "\n"]
    aliases: dict[str, set[str]] = {}
    for term in sorted(found):
        best: dict[str, int] = {}
        for _rank, sim, near in sorted(found[term], key=lambda p: (p[0], p[1])):
            if near != term and len(near) >= 3 and near not in best and len(best) < MAX_TERMS:
                best[near] = -sim
        if best:
            lines.append(f"{term}\t{' '.join(f'{n}:{s}' for n, s in best.items())}\n")
            # the search looks an unknown word up by its Snowball stem: a form whose stem is
            # not its term's ("лайкнул", term "лайкнут") points to it, as in thesaurus.tsv.gz
            for word in headwords.get(term, ()):
                for form in forms_of(word):
                    own = textnorm.stem(form)
                    if own != term and own not in found:
                        aliases.setdefault(own, set()).add(term)
    lines += [f"{own}\t{' '.join('=' + t for t in sorted(terms))}\n" for own, terms in aliases.items()]
    lines[1:] = sorted(lines[1:])
    # mtime 0: the same table gives the same bytes, so a rebuild shows no change in git
    with gzip.GzipFile(opts.output, "wb", compresslevel=9, mtime=0) as raw:
        raw.write("".join(lines).encode("utf-8"))
    elapsed = time.perf_counter() - started
    print(f"{len(lines) - 1} lines, {opts.output.stat().st_size} bytes, {elapsed:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
