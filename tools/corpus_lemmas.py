"""Print the Russian content words of the help articles as dictionary forms with their counts.

    .venv/bin/python tools/corpus_lemmas.py [../shared/help-center/articles.jsonl] > lemmas.tsv

Every Cyrillic word of an article's title, body and tags (``textnorm.words``) becomes its
dictionary form as the index's terms see it (``textnorm.lemma``: pymorphy3's normal form, a
participle joined to its verb, ё as е); a word pymorphy3 does not know keeps the form its
analyser predicts ("аватарку" → "аватарка"). Stop words (``textnorm.STOP_WORDS``) are left
out, both as the surface word and as the dictionary form ("которых" → "который"). One
``lemma<TAB>count`` line per lemma, sorted by lemma. This is the list
``vksupport_cli/desk/data/variants.tsv`` covers (its headwords are lemmas of it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vksupport_cli.desk import textnorm  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "help-center" / "articles.jsonl"


def article_text(article: dict) -> str:
    return " ".join([article.get("title", ""), article.get("body", ""), *article.get("tags", [])])


def dictionary_form(word: str) -> str:
    base = textnorm.lemma(word)
    if base is None:  # a word pymorphy3 lacks: the normal form its analyser predicts
        base = textnorm._morph().parse(word)[0].normal_form.replace("ё", "е")
    return base


def corpus_lemmas(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            for word in textnorm.words(article_text(json.loads(line))):
                if not textnorm.is_cyrillic(word) or word in textnorm.STOP_WORDS:
                    continue
                base = dictionary_form(word)
                if base not in textnorm.STOP_WORDS:
                    counts[base] += 1
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", nargs="?", type=Path, default=DEFAULT)
    args = parser.parse_args(argv)
    for base, count in sorted(corpus_lemmas(args.articles).items()):
        print(f"{base}\t{count}")


if __name__ == "__main__":
    main()
