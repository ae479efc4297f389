"""Print the Russian content words of the help articles as dictionary forms with their counts.

    .venv/bin/python tools/corpus_lemmas.py [../shared/help-center/articles.jsonl] > lemmas.tsv

Every Cyrillic word of an article's title, body and tags (``textnorm.words``) becomes its
dictionary form as the index's terms see it (``textnorm.lemma``: pymorphy3's normal form, a
participle joined to its verb, ё as е). A word pymorphy3 does not know keeps the shortest
form the articles use of its Snowball stem ("аватарку", "аватарка" → "аватарка"), not the
normal form pymorphy3 would guess for it ("айди" → "айти", "буллинга" → "буллинга"): its
term is then the index's own. Stop words (``textnorm.STOP_WORDS``) are left out, both as
the surface word and as the dictionary form ("которых" → "который"). One
``lemma<TAB>count`` line per lemma, sorted by lemma.

This is the list the search's hand-written vocabularies cover:
``vksupport_cli/desk/data/variants.tsv`` (its headwords are lemmas of it) and
``tools/data/vocabulary_en.tsv`` (it translates every one; ``tools/build_lexicon.py``).
Rerun it after changing the articles.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vksupport_cli.desk import textnorm  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "help-center" / "articles.jsonl"


def read_articles(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def corpus_lemmas(articles: Iterable[dict]) -> Counter[str]:
    """Dictionary form → how often the articles use a word of it (see the module doc)."""
    counts: Counter[str] = Counter()
    unknown: dict[str, Counter[str]] = defaultdict(Counter)  # Snowball stem → forms used
    for article in articles:
        for text in (article["title"], article["body"], *(article.get("tags") or [])):
            for word in textnorm.words(text):
                if not textnorm.is_cyrillic(word) or word in textnorm.STOP_WORDS:
                    continue
                base = textnorm.lemma(word)
                if base is None:
                    unknown[textnorm.stem(word)][word] += 1
                elif base not in textnorm.STOP_WORDS:
                    counts[base] += 1
    for forms in unknown.values():
        counts[min(forms, key=lambda form: (len(form), form))] += sum(forms.values())
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", nargs="?", type=Path, default=DEFAULT)
    args = parser.parse_args(argv)
    for base, count in sorted(corpus_lemmas(read_articles(args.articles)).items()):
        print(f"{base}\t{count}")


if __name__ == "__main__":
    main()
