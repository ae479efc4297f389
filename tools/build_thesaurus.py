"""Build the help search's word-similarity table from navec's Russian news embeddings.

    .venv/bin/pip install -e '.[thesaurus]'      # navec, natasha (which ships the vectors), numpy
    .venv/bin/python tools/build_thesaurus.py    # writes vksupport_cli/desk/data/thesaurus.tsv.gz

The search never loads a model: this script, run once by a developer, turns the
250,000 word vectors of navec (``navec_news_v1_1B_250K_300d_100q``, shipped inside
the ``natasha`` package) into a small table the index build reads. Words are
grouped by their index term (``textnorm.term``: the Snowball stem of the
dictionary form, "двойника", "двойники" → "двойник"); a stem's vector is the normalised mean of its
forms' normalised vectors. Proper names (pymorphy3 tags Name, Surn, Patr, Geox,
Orgn, Trad) and non-Cyrillic words are left out. For every stem the table lists
its nearest stems by cosine similarity, at least ``MIN_SIMILARITY``, at most
``NEIGHBOURS``: one line ``stem<TAB>near:sim near:sim ...`` with sim in hundredths,
sorted by stem. Two more kinds of entry:

- ``~near:sim``, a stem of the same word family (``_families``): a long shared
  beginning and vectors alike, which ties a verb to its noun across an alternation
  ("угрожа" → "угроз"); the search counts it whatever the similarity;
- ``=term``, on the line of a word form's own Snowball stem that differs from its
  term's ("кинул" for "кинули", whose term is "кинут"): the search looks an unknown
  word up by its Snowball stem, and such a stem gets its term's neighbours.

The table does not depend on any corpus: ``search.rebuild_index`` keeps the pairs
whose neighbours the corpus knows, so a query word no article contains still finds
the articles about its nearest neighbours. It takes about a minute on two cores and
2 GB of memory.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vksupport_cli.desk import textnorm  # noqa: E402

NAVEC = "navec_news_v1_1B_250K_300d_100q.tar"
NEIGHBOURS = 8
ALIASES = 2  # terms a form's stem points to at most
FAMILY_PREFIX = 4  # letters a word family's stems share at least
FAMILY_SPARE = 2  # letters of the shorter stem they may differ in
FAMILY_ROOT = 3  # letters the shared beginning has past a prefix
FAMILY_MIN = 0.35  # cosine similarity of their vectors at least
FAMILY_MAX = 4  # family members per stem
MIN_SIMILARITY = 0.45
MIN_STEM = 3
_WORD = re.compile(r"^[а-я]+$")
_NAMES = textnorm.NAME_TAGS | {"Abbr", "Init"}
OUTPUT = ROOT / "vksupport_cli" / "desk" / "data" / "thesaurus.tsv.gz"


def navec_path() -> Path:
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("natasha is not installed: pip install -e '.[thesaurus]'")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "emb" / NAVEC


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


#: Russian word-forming prefixes: a shared beginning that is one of them and a letter or two
#: ("пров" of "проверочный" and "провод") is no shared root.
_PREFIX_TEXT = (
    "без бес в вз вс во воз вос вы до за из ис на над не об обо от ото пере по под пред при про"
    " раз рас с со у"
)
_PREFIXES = tuple(_PREFIX_TEXT.split())


def _rooted(beginning: str) -> bool:
    """The beginning holds FAMILY_ROOT letters or more past the longest prefix it starts with."""
    prefix = max((p for p in _PREFIXES if beginning.startswith(p)), key=len, default="")
    return len(beginning) - len(prefix) >= FAMILY_ROOT


def _families(stems: list[str], matrix, np) -> dict[str, list[tuple[str, int]]]:
    """stem → the stems of its word family: a long shared beginning (at least FAMILY_PREFIX
    letters, and all but FAMILY_SPARE of the shorter stem) and vectors at least FAMILY_MIN
    alike. Snowball and the dictionary form leave a verb and its noun apart, often with an
    alternation ("угрожа"/"угроз", "подтверд"/"подтвержден", "доставля"/"доставк"); the
    vectors tell kin ("взлома"/"взлом" 0.57) from look-alikes ("страниц"/"стран" 0.11)."""
    buckets: dict[str, list[int]] = {}
    for i, stem in enumerate(stems):
        if len(stem) >= FAMILY_PREFIX:
            buckets.setdefault(stem[:FAMILY_PREFIX], []).append(i)
    found: dict[str, list[tuple[str, int]]] = {}
    for members in buckets.values():
        if len(members) < 2:
            continue
        sims = matrix[members] @ matrix[members].T
        for a, i in enumerate(members):
            for b, j in enumerate(members):
                if a == b or sims[a, b] < FAMILY_MIN:
                    continue
                shared = _common_prefix(stems[i], stems[j])
                if shared >= min(len(stems[i]), len(stems[j])) - FAMILY_SPARE and _rooted(stems[i][:shared]):
                    found.setdefault(stems[i], []).append((stems[j], round(float(sims[a, b]) * 100)))
    for pairs in found.values():
        pairs.sort(key=lambda pair: -pair[1])
        del pairs[FAMILY_MAX:]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--neighbours", type=int, default=NEIGHBOURS)
    parser.add_argument("--min-similarity", type=float, default=MIN_SIMILARITY)
    parser.add_argument(
        "--no-family", dest="family", action="store_false", help="leave out the word families (~stem:sim)"
    )
    opts = parser.parse_args()

    import numpy as np
    import pymorphy3
    from navec import Navec

    started = time.perf_counter()
    navec = Navec.load(str(navec_path()))
    morph = pymorphy3.MorphAnalyzer()
    vectors = navec.pq.unpack().astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9

    members: dict[str, list[int]] = {}
    forms: dict[str, Counter[str]] = {}  # a form's own Snowball stem → the terms it is a form of
    for index, raw in enumerate(navec.vocab.words):
        word = raw.replace("ё", "е")
        if not _WORD.match(word) or len(word) < MIN_STEM or word in textnorm.STOP_WORDS:
            continue
        parse = morph.parse(word)[0]
        if _NAMES & set(parse.tag.grammemes):
            continue
        base = parse.normal_form.replace("ё", "е") if parse.is_known else word
        stem = textnorm.stem(base)  # textnorm.term(word), the index's unit, without a second parse
        if len(stem) >= MIN_STEM:
            members.setdefault(stem, []).append(index)
            own = textnorm.stem(word)
            if own != stem:
                forms.setdefault(own, Counter())[stem] += 1
    stems = sorted(members)
    matrix = np.stack([vectors[members[s]].mean(axis=0) for s in stems])
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
    print(f"{len(stems)} stems from {len(navec.vocab.words)} words", file=sys.stderr)

    family = _families(stems, matrix, np) if opts.family else {}
    k = opts.neighbours
    lines = []
    for start in range(0, len(stems), 4096):
        block = matrix[start : start + 4096] @ matrix.T
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -1.0  # not its own neighbour
        nearest = np.argpartition(-block, k, axis=1)[:, :k]
        for row, columns in enumerate(nearest):
            pairs = sorted(((float(block[row, c]), stems[c]) for c in columns), reverse=True)
            kin = family.get(stems[start + row], [])
            kin_stems = {s for s, _sim in kin}
            kept = [
                f"{s}:{round(sim * 100)}"
                for sim, s in pairs
                if sim >= opts.min_similarity and s not in kin_stems
            ]
            kept += [f"~{s}:{sim}" for s, sim in kin]
            if kept:
                lines.append(f"{stems[start + row]}\t{' '.join(kept)}\n")
        print(f"  {min(start + 4096, len(stems))}/{len(stems)}", file=sys.stderr, flush=True)
    # The search looks an unknown word up by its Snowball stem, which for some forms is not
    # its dictionary form's ("кинули" → "кинул", "кинуть" → "кинут"): such a stem, if no
    # term of its own, points to the terms it is a form of, commonest first ("кинул\t=кинут").
    for own, terms in forms.items():
        if own not in members:
            lines.append(f"{own}\t{' '.join('=' + t for t, _n in terms.most_common(ALIASES))}\n")
    lines.sort()
    with gzip.open(opts.output, "wt", encoding="utf-8", compresslevel=9) as out:
        out.writelines(lines)
    elapsed = time.perf_counter() - started
    print(f"{len(lines)} lines, {opts.output.stat().st_size} bytes, {elapsed:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
