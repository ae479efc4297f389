"""Build the help search's English → Russian lexicon from the project's own parallel text.

    .venv/bin/python tools/build_lexicon.py                # writes vksupport_cli/desk/data/lexicon.tsv
    .venv/bin/python tools/build_lexicon.py --vocabulary   # prints the Russian words to translate

Every shipped article has a Russian title and its English title
(``vksupport_cli/desk/data/articles.jsonl``): a small parallel corpus of the
help centre's own subject. The project's own Russian catalogue of the CLI's
messages (``vksupport_cli/locale/ru.po``, 500 English sentences about questions,
answers, support, pages and accounts with their translations), the categories'
English and Russian names (``desk/categories.py``) and the interface glossary
(``locale/GLOSSARY.md``) add the desk's everyday words ("reply", "account"), and
the project's English vocabulary of the help centre (``tools/data/vocabulary_en.tsv``,
written for the project, MIT: every Russian content word of the articles with the
1–5 English words a person would type for it) adds one pair per equivalent and
its Russian word. This script aligns their words with IBM Model 1 (EM over
word-translation probabilities, a NULL word soaking up what has no counterpart)
and writes, for each English index term (``textnorm.stem`` of a Latin word, stop
words left out), the Russian index terms (``textnorm.term``) it most likely
translates, in the thesaurus's format: one line ``stem<TAB>term:p term:p ...``
with p in hundredths, at least ``MIN_PROBABILITY``, at most ``TRANSLATIONS``,
sorted by stem. An English word the vocabulary gives as a one-word equivalent
gets the vocabulary's Russian words instead of the aligner's guesses (the
``TRANSLATIONS`` of them the aligner finds likeliest, with its probabilities); a
phrase's words ("log in") are left to the aligner. Where Snowball gives several
English words one term ("personal", "person"), the shortest speaks for it.

``--vocabulary`` prints what the vocabulary must cover: every Russian word of the
articles' titles, bodies and tags (``--corpus``) as its dictionary form
(``tools/corpus_lemmas.py``), one a line, sorted. Rerun it after changing the
articles, and translate what the vocabulary lacks (tests/test_search.py checks
that it lacks nothing).

The search never runs this: ``search.rebuild_index`` reads the table next to
the thesaurus and keeps the pairs whose Russian term the corpus has, so an
English query finds Russian articles even where no article carries an English
title (the method on the original articles). It takes a few seconds; rerun it
after changing the shipped titles or the vocabulary.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "tools"))

from corpus_lemmas import corpus_lemmas  # noqa: E402

from vksupport_cli.desk import textnorm  # noqa: E402
from vksupport_cli.desk.categories import CATEGORIES  # noqa: E402

CORPUS = ROOT / "vksupport_cli" / "desk" / "data" / "articles.jsonl"
CATALOGUE = ROOT / "vksupport_cli" / "locale" / "ru.po"
GLOSSARY = ROOT / "vksupport_cli" / "locale" / "GLOSSARY.md"
OUTPUT = ROOT / "vksupport_cli" / "desk" / "data" / "lexicon.tsv"
VOCABULARY = ROOT / "tools" / "data" / "vocabulary_en.tsv"
ITERATIONS = 20
TRANSLATIONS = 3
MIN_PROBABILITY = 0.15
_NULL = ""


def english_terms(text: str) -> list[str]:
    return [
        textnorm.stem(w)
        for w in textnorm.words(text)
        if textnorm.is_latin(w) and w not in textnorm.STOP_WORDS
    ]


def russian_terms(text: str) -> list[str]:
    return [
        textnorm.term(w)
        for w in textnorm.words(text)
        if textnorm.is_cyrillic(w) and w not in textnorm.STOP_WORDS
    ]


def vocabulary(articles: list[dict]) -> list[str]:
    """The Russian words the vocabulary must translate: the articles' dictionary forms
    (``tools/corpus_lemmas.py``), sorted."""
    return sorted(corpus_lemmas(articles))


def read_vocabulary(path: Path = VOCABULARY) -> dict[str, list[str]]:
    """``lemma<TAB>english, english, ...`` lines (comments, lines starting with "#", left
    out): each Russian word with its English equivalents, in the file's order."""
    entries: dict[str, list[str]] = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, _tab, english = line.partition("\t")
            entries[word] = [e.strip() for e in english.split(",") if e.strip()]
    return entries


def dictionary_pairs(entries: dict[str, list[str]]) -> list[tuple[list[str], list[str]]]:
    """One parallel pair per English equivalent and its Russian word."""
    return [(english_terms(e), russian_terms(word)) for word, english in entries.items() for e in english]


def one_word_equivalents(entries: dict[str, list[str]]) -> dict[str, list[str]]:
    """English term → the Russian terms of the words the vocabulary gives it as a one-word
    equivalent of (a phrase's words are left to the aligner). Snowball gives "personal" and
    "personality" the term of "person", "receiver" that of "receive": of the English words
    that share a term, only the shortest (the base word) speak for it."""
    known: dict[str, tuple[int, list[str]]] = {}
    for russian, equivalents in entries.items():
        for equivalent in equivalents:
            words = [
                w for w in textnorm.words(equivalent) if textnorm.is_latin(w) and w not in textnorm.STOP_WORDS
            ]
            if len(words) != 1:
                continue
            term, length = textnorm.stem(words[0]), len(words[0])
            shortest, terms = known.get(term, (length, []))
            if length < shortest:
                shortest, terms = length, []
            if length == shortest:
                terms += [t for t in russian_terms(russian) if t not in terms]
                known[term] = (shortest, terms)
    return {term: terms for term, (_length, terms) in known.items()}


def align(pairs: list[tuple[list[str], list[str]]], iterations: int) -> dict[str, dict[str, float]]:
    """IBM Model 1: t(russian | english) by EM; each Russian word is generated by one English
    word of its pair's English side or by NULL."""
    english = {e for en, _ru in pairs for e in en}
    russian = {r for _en, ru in pairs for r in ru}
    uniform = 1.0 / max(len(russian), 1)
    t: dict[tuple[str, str], float] = defaultdict(lambda: uniform)
    for _ in range(iterations):
        count: dict[tuple[str, str], float] = defaultdict(float)
        total: dict[str, float] = defaultdict(float)
        for en, ru in pairs:
            sources = [*en, _NULL]
            for r in ru:
                norm = sum(t[(r, e)] for e in sources)
                for e in sources:
                    share = t[(r, e)] / norm
                    count[(r, e)] += share
                    total[e] += share
        t = defaultdict(lambda: 0.0, {(r, e): c / total[e] for (r, e), c in count.items()})
    table: dict[str, dict[str, float]] = {}
    for (r, e), p in t.items():
        if e in english and e != _NULL:
            table.setdefault(e, {})[r] = p
    return table


def translations(
    table: dict[str, dict[str, float]], known: dict[str, list[str]]
) -> dict[str, list[tuple[str, float]]]:
    """Each English term's Russian terms with their probabilities: the aligner's likeliest
    (``TRANSLATIONS``, at least ``MIN_PROBABILITY``), or, for a word the vocabulary gives as
    an equivalent of its own, the ``TRANSLATIONS`` of the vocabulary's Russian words the
    aligner finds likeliest, however unlikely (a listed sense always counts; the search
    scales the rest below the likeliest, down to ``search.LEXICON_FLOOR``)."""
    result: dict[str, list[tuple[str, float]]] = {}
    for english in sorted(set(table) | set(known)):
        guesses = table.get(english, {})
        if english in known:
            chosen = sorted(known[english], key=lambda r: (-guesses.get(r, 0.0), r))[:TRANSLATIONS]
            result[english] = [(r, 1.0) for r in chosen]
        else:
            best = sorted(guesses.items(), key=lambda pair: (-pair[1], pair[0]))[:TRANSLATIONS]
            result[english] = [(r, p) for r, p in best if p >= MIN_PROBABILITY]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--vocabulary",
        action="store_true",
        help="print the corpus's Russian words to translate (tools/data/vocabulary_en.tsv), one a line, and stop",
    )
    parser.add_argument(
        "--no-catalogue",
        dest="catalogue",
        action="store_false",
        help="titles only, not the CLI's catalogue, categories, glossary and vocabulary",
    )
    opts = parser.parse_args()

    articles = [json.loads(line) for line in opts.corpus.read_text("utf-8").splitlines() if line.strip()]
    if opts.vocabulary:
        print("\n".join(vocabulary(articles)))
        return
    pairs = [(english_terms(a["title_en"]), russian_terms(a["title"])) for a in articles if a.get("title_en")]
    known: dict[str, list[str]] = {}
    if opts.catalogue:
        from babel.messages.pofile import read_po

        with CATALOGUE.open("rb") as po:
            for message in read_po(po):
                if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                    pairs.append((english_terms(message.id), russian_terms(str(message.string))))
        pairs += [(english_terms(name.en), russian_terms(name.ru)) for name in CATEGORIES.values()]
        for line in GLOSSARY.read_text("utf-8").splitlines():
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if len(cells) == 4 and cells[0] not in ("English", "---"):
                pairs.append((english_terms(cells[0]), russian_terms(cells[1])))
        entries = read_vocabulary()
        pairs += dictionary_pairs(entries)
        known = one_word_equivalents(entries)
    table = align([p for p in pairs if p[0] and p[1]], ITERATIONS)
    lines = []
    for english, kept in translations(table, known).items():
        if kept:
            lines.append(f"{english}\t{' '.join(f'{r}:{round(p * 100)}' for r, p in kept)}\n")
    opts.output.write_text("".join(lines), "utf-8")
    print(f"{len(lines)} lines from {len(pairs)} parallel pairs → {opts.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
