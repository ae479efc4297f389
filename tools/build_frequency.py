"""Build the help search's table of everyday Russian words from wordfreq's frequencies.

    .venv/bin/pip install -e '.[thesaurus]'      # wordfreq among the build-time extras
    .venv/bin/python tools/build_frequency.py    # writes vksupport_cli/desk/data/frequency.tsv

A description of a problem in several sentences is mostly everyday language
("вчера", "больше", "вместо", "спросить"). On a help centre of a few dozen
articles such a word can be rare, so the corpus's idf calls it decisive, and the
article that happens to use it wins. How common a word is in the language at
large says otherwise: the search scales a description's term by it (see
``search.COMMON_ZIPF``).

The frequencies are wordfreq's (``zipf_frequency``: log10 of occurrences per
billion words, over subtitles, Wikipedia, news, web text and social media; its
data is CC BY-SA 4.0, credited in the table's first line). The table lists, for every index term (``textnorm.term``)
of a Russian word at least ``MIN_ZIPF``, the highest Zipf value of its words:
one line ``term<TAB>zipf`` with zipf in hundredths, sorted by term. Terms of
stop words are left out (they never reach the ranking). The search never loads
wordfreq: ``search.rebuild_index`` reads this table into ``search_terms``.
It takes a few seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vksupport_cli.desk import textnorm  # noqa: E402

OUTPUT = ROOT / "vksupport_cli" / "desk" / "data" / "frequency.tsv"
#: Words rarer than this are never scaled down (search.COMMON_ZIPF is above it): no need to list them.
MIN_ZIPF = 4.0
HEADER = (
    "# Zipf frequencies of Russian words by index term, from wordfreq"
    " (https://github.com/rspeer/wordfreq, data CC BY-SA 4.0); built by tools/build_frequency.py\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--min-zipf", type=float, default=MIN_ZIPF)
    opts = parser.parse_args()
    try:
        import wordfreq
    except ImportError:
        sys.exit("wordfreq is not installed: pip install -e '.[thesaurus]'")

    stop_terms = {textnorm.term(w) for w in textnorm.STOP_WORDS}
    zipf: dict[str, float] = {}
    for raw in wordfreq.iter_wordlist("ru"):  # commonest first
        value = wordfreq.zipf_frequency(raw, "ru")
        if value < opts.min_zipf:
            break
        word = raw.replace("ё", "е")
        if not textnorm.is_cyrillic(word) or word in textnorm.STOP_WORDS:
            continue
        term = textnorm.term(word)
        if term and term not in stop_terms:
            zipf[term] = max(zipf.get(term, 0.0), value)
    lines = [HEADER] + [f"{term}\t{round(value * 100)}\n" for term, value in sorted(zipf.items())]
    opts.output.write_text("".join(lines), encoding="utf-8")
    print(f"{len(lines) - 1} terms, {opts.output.stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
