"""Help-centre search: a forgiving full-text index over the ``articles`` table.

How it works, briefly:

- **Index** (``rebuild_index``): each article's title, English title, keywords
  plus tags, and body are normalised and stemmed in Python (``textnorm``). The
  stems go to a contentless FTS5 table ``search_fts``, the inverted index that
  finds candidates fast, and to ``search_docs``, which keeps for each article
  its distinct term ids with their count in each field: what the ranking reads
  for the few candidates. Helper tables make the query side forgiving without
  loading anything into Python: ``search_terms`` (stem → id, document
  frequency), ``search_words`` (surface word → stem) and ``search_typo`` (each
  word and its one-deletion variants, the SymSpell trick: two words within one
  edit share a key). ``search_meta`` holds the article count and average field
  lengths. An article's body also holds, as sentences of their own, what other
  articles say where they refer to it (``_references``). A large help centre is
  analysed in worker processes (``_parallel_workers``).
- **Query** (``search``): the text is cleaned (control characters dropped,
  truncated), split on whitespace, and each piece is read as typed, as Russian
  typed on the English layout, as transliteration, and as English typed on the
  Russian layout; words typed as the index knows them are taken at their word,
  otherwise the reading with the most known words wins, and a query is read one
  way (``_one_way``: its unsure words the way most of its sure ones were read).
  Each remaining word becomes a group of weighted alternative stems: its own
  stem, or the nearest known words if it is unknown (a typo); known stems it
  begins with or that begin with it (Russian word formation:
  "удаление"/"удалить"); the verb or noun a suffix table makes of it ("монетизировать" → "монетизация", ``_derived``); for
  a Latin word, the corpus words it was borrowed as ("registration" →
  "регистрация", ``textnorm.english_cognates``); and colloquial
  synonyms ("учетка" → "аккаунт", "страница"). A word no article has also counts
  through its nearest corpus words in meaning (``search_near``: navec's Russian
  neighbours from ``data/thesaurus.tsv.gz``, and for an English word its Russian
  translations from ``data/lexicon.tsv``), through the corpus words it clips or
  makes a diminutive of ("акк" → "аккаунт", "симка" → "сим"), and through the
  corpus word it is a prefixed form of ("подруга" → "друг"). A slang word also
  counts through the words Wiktionary defines its slang sense with
  (``data/glosses.tsv.gz``: "кинуть" → "обмануть"), a word people use for a
  corpus word through it (``data/variants.tsv``, written for the articles' own
  vocabulary: "настучать" → "пожаловаться"), and any word through the stems of its
  word family (a verb and its noun: "угрожать" → "угроза"). Stop words go.
- **Ranking**: FTS5 returns the best ``CANDIDATES`` by its bm25 (first from the
  rarer terms only, which is much cheaper on a large corpus, then from all terms
  if that found too few); they are re-scored with BM25F (fields weighted and
  length-normalised before term saturation), each group acting as one term with
  an idf that never goes negative, so a frequent but decisive word such as
  "страница" still counts (FTS5's own bm25 zeroes it). A match through an
  alternative counts less than the word itself; the sum is scaled by the share of
  query words matched, by how much of the title the query covers and, for a
  short query, by how much of it one sentence of the article holds. In a
  description of several sentences a word counted only through stand-ins
  weighs its idf times its best weight: the articles' own words decide; and a
  word common in Russian at large (wordfreq's Zipf frequency, from
  ``data/frequency.tsv``, kept in ``search_terms.zipf``) weighs less, however
  rare a small help centre makes it ("вместо", "спросить").

User text never reaches FTS5: the FTS5 query is built only from term ids the
index assigned ("t42") and a hex-encoded category, so quotes, AND/OR/NOT/NEAR,
``*``, ``^``, column filters or parentheses in a query are just separators.
"""

from __future__ import annotations

import math
import re
import sqlite3
import sys
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from itertools import chain, compress, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

if TYPE_CHECKING:
    from concurrent.futures import Future

from ..errors import BadInput
from ..i18n import _
from . import db, textnorm

#: Bump whenever the derived tables or the way text becomes terms change.
INDEX_VERSION = 11

FIELDS = ("title", "title_en", "keywords", "body")
#: BM25F field weights and length normalisation (b), in FIELDS order.
FIELD_WEIGHTS = (3.0, 2.5, 2.0, 1.0)
FIELD_B = (0.5, 0.5, 0.5, 0.75)
K1 = 1.2
#: FTS5 bm25 weights for the candidate pass (the category column never scores).
FTS_WEIGHTS = "10.0, 6.0, 5.0, 1.0, 0.0"
CANDIDATES = 200
#: Alternatives weighing less than this find no candidates by themselves, they only score them.
CANDIDATE_WEIGHT = 0.55
#: Terms in more than this share of the articles are left out of the first candidate pass.
COMMON_SHARE = 0.25
#: How much a match through an alternative counts, relative to the word itself.
TYPO_WEIGHT = (1.0, 0.8, 0.6)  # by edit distance 0, 1, 2
RELATED_WEIGHT = 0.6
RELATED_SHORTER = 2  # letters a related stem may lack
RELATED_LONGER = 2  # letters a related stem may add
RELATED_MIN = 4  # shortest related stem
DERIVED_WEIGHT = 0.6  # a verb's noun and the noun's verb (``_derived``)
SYNONYM_WEIGHT = 0.7
VARIANT_SIMILARITY = 0.85  # a word of data/variants.tsv for its corpus word, as a neighbour
#: A word no article has counts through its nearest corpus words (navec): NEAR_WEIGHT × similarity.
NEAR_WEIGHT = 0.8
NEAR_MAX = 4  # neighbours taken per word
NEAR_MIN = 0.45  # and at least this similar
NEAR_SHOWN = 0.55  # "did you mean" names a neighbour at least this similar
#: A word Wiktionary glosses with several corpus words (tools/build_glosses.py) counts through
#: them this similar at most: below NEAR_SHOWN, so "did you mean" names none of them.
GLOSS_AMBIGUOUS = 0.54
#: A stem of the word's family (thesaurus.tsv.gz's "~" entries: "угрожа" → "угроз") counts as a
#: neighbour this similar, whatever its vectors' similarity (which chose it).
FAMILY_SIMILARITY = 0.75
#: A gloss's word this common in the language (Zipf, data/frequency.tsv) says too little to
#: stand in ("чайник" *разг.*: "неумелый [[человек]]"): left out.
GLOSS_COMMON = 5.0
#: An English word's Russian translations (lexicon.tsv) count as neighbours this similar, at least.
LEXICON_FLOOR = 0.5
#: A word the corpus has also counts through its nearest neighbours this close, discounted more.
NEAR_KNOWN_MIN = 0.6
NEAR_KNOWN_WEIGHT = 0.5
#: A Latin word counts through the corpus words it is an English cognate of ("registration" →
#: "регистрация", ``textnorm.english_cognates``): its first COGNATES spellings, this much.
COGNATES = 2
COGNATE_WEIGHT = 0.9
#: An unknown word counts through the corpus words that begin with its base (``_clipped``).
CLIPPED_WEIGHT = 0.6
CLIPPED_MIN = 3  # letters of the base at least
CLIPPED_STEM_MIN = 4  # letters of a stem cut from a longer word
CLIPPED_MAX = 3  # terms taken
#: An unknown word less a prefix ("подруга" → "друга") counts this much, if a corpus word's form.
UNPREFIXED_WEIGHT = 0.5
UNPREFIXED_MIN = 4  # letters left at least
UNPREFIXED_STEM_MIN = 5  # letters of the stem left, when the rest is no corpus word's form
LONG_QUERY = 6  # meaningful words from which a query is a description
#: In a description, a word this common in the language at large (wordfreq's Zipf value, from
#: ``data/frequency.tsv``) or more weighs its idf / (1 + Zipf - COMMON_ZIPF) ** COMMON_POWER:
#: "вместо" (5.7) weighs a quarter, "поддержка" (4.8) two thirds, "оператор" (4.4) all of it.
COMMON_ZIPF = 4.5
#: Steeper than 1: a description has many everyday words, and one that still kept half its
#: weight ("может ли подруга написать ... вместо меня") outvoted the words naming the problem;
#: 1.7 to 1.85 score the same (1.65 and less left "вместо" deciding, 1.9 lowered own long).
COMMON_POWER = 1.75
#: A query is typed one way (``_one_way``): the chunks whose reading is worth this much or more
#: (a word the index knows, or one of like meaning) vote for their way of reading; those worth
#: ``ONE_WAY_UNSURE`` or less (a stop word, an unknown word) are read the way most voted.
ONE_WAY_VOTE = 0.6
ONE_WAY_UNSURE = 0.5
#: A query that says something does not work ("не приходит", "голоса не упали") prefers, this
#: much, an article whose title says so too ("Не приходит код", "Голоса не зачислены") over
#: one on how to do the thing ("Как купить голоса"): a negation is a stop word otherwise.
PROBLEM_BONUS = 0.2
#: An article with a sentence that holds the query's informative words ("перевели деньги
#: мошеннику") over one that has them scattered; not for a description of several sentences,
#: which no one sentence of an article holds (0.2 to 0.3 scored the same; 0.4 lowered the dev set).
PASSAGE_BONUS = 0.25
REAL_WORD_TYPO = 0.5  # typo fixes of a word the thesaurus knows count this much less
#: The share of the query an article matches scales its score: counted in words, or in idf
#: (the informative words), mixed in this proportion.
COVER_IDF = 0.5
#: Bonus for covering the title: score × (1 + TITLE_COVER × covered share of the title).
TITLE_COVER = 0.5

MAX_QUERY_CHARS = 500  # longer text is truncated: nobody types more into a search box
MAX_CHUNKS = 40  # whitespace-separated pieces looked at
MAX_TERMS = 64  # stems sent to FTS5
MAX_GUESSED_CHUNKS = 8  # unknown pieces whose readings are compared through typo fixes
MAX_LIMIT = 100
MAX_CATEGORY_CHARS = 100  # as long as a slug can be
TYPO_MIN_LEN = 4  # shorter words are too ambiguous to correct
TYPO_MAX_LEN = 30
TYPO_TWO_EDITS = 8  # words this long may have two typos
_MAX_FIELD_COUNT = 255  # per-field counts are stored in 8 bits

_VERSION_KEY = "search_index_version"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_LATIN = re.compile(r"[a-zA-Z]")
_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
#: Letters whose keys type punctuation on the English layout: inside a word, the word was
#: not English typed on the Russian layout ("поднержку" is no "gjlyth;re").
_PUNCTUATION_KEYS = re.compile(r"[а-яё][жэхъбюё]+[а-яё]", re.IGNORECASE)
_SWAP = sys.byteorder == "big"  # arrays are stored little-endian
_U32 = "I" if array("I").itemsize == 4 else "L"
_U64 = "Q"  # 8 bytes on every platform Python supports

_TABLES = (
    "search_fts",
    "search_docs",
    "search_terms",
    "search_words",
    "search_typo",
    "search_near",
    "search_everyday",
    "search_meta",
)

_SCHEMA = [
    # Contentless, detail=column: bm25 weights need only which column a term is in.
    # Terms are stored as their ids ("t42"), plain ASCII, so FTS5's tokenizer can never
    # split a stem differently from ours (it knows an older Unicode than Python).
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        title, title_en, keywords, body, category,
        content='', detail=column, tokenize='ascii')""",
    # terms: sorted distinct term ids; counts: per term, its count in each field, 8 bits each
    """CREATE TABLE IF NOT EXISTS search_docs (
        rowid INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, category TEXT NOT NULL,
        terms BLOB NOT NULL, counts BLOB NOT NULL,
        len_title INTEGER NOT NULL, len_title_en INTEGER NOT NULL,
        len_keywords INTEGER NOT NULL, len_body INTEGER NOT NULL,
        problem INTEGER NOT NULL, sentences BLOB NOT NULL)""",
    # sentences: per term (in the order of terms), which sentences of the title, English title
    # and body hold it, a 64-bit mask (bit i: sentence i; the 64th and later share bit 63)
    # word: the term's commonest surface word in the corpus, what "did you mean" shows;
    # zipf: how common its words are in the language at large (data/frequency.tsv), 0 if rare
    """CREATE TABLE IF NOT EXISTS search_terms (
        id INTEGER PRIMARY KEY, stem TEXT NOT NULL UNIQUE, df INTEGER NOT NULL, word TEXT NOT NULL,
        zipf REAL NOT NULL)""",
    # every word of the corpus, and every other form of its dictionary words (df 0), with its term
    """CREATE TABLE IF NOT EXISTS search_words (
        word TEXT PRIMARY KEY, stem TEXT NOT NULL, df INTEGER NOT NULL) WITHOUT ROWID""",
    # a term no article has → the corpus terms nearest in meaning (thesaurus.tsv.gz), similarity 0..1
    """CREATE TABLE IF NOT EXISTS search_near (
        stem TEXT NOT NULL, near TEXT NOT NULL, similarity REAL NOT NULL,
        PRIMARY KEY (stem, near)) WITHOUT ROWID""",
    # the terms of everyday Russian words (data/frequency.tsv): meant as typed, never shown as a
    # look-alike by "did you mean"
    """CREATE TABLE IF NOT EXISTS search_everyday (stem TEXT PRIMARY KEY) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS search_typo (
        key TEXT NOT NULL, word TEXT NOT NULL, PRIMARY KEY (key, word)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS search_meta (name TEXT PRIMARY KEY, value REAL NOT NULL)""",
]


# -- building ------------------------------------------------------------------


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")  # a list item is a sentence of its own
# a reference to another article: "в статье «Как изменить имя или фамилию»", "по инструкции «…»";
# found by its quotes first, which a regex scans for fast, then by the word before them
_QUOTED = re.compile(r"«([^»]{1,200})»")
_REFERRING = re.compile(r"(?:стат[ьейюи]+|инструкци[яиейю]+)\s+$", re.IGNORECASE)
REFERENCES_KEPT = 8
_TITLE_WORD = re.compile(r"[^\W_]+")
_SENTENCE_WORD = "0ъ0"  # one word to textnorm.words, and no Latin: the body stays one script
_SENTENCE_MARK = f" {_SENTENCE_WORD} "
_NEGATION = frozenset(
    ("не", "нет", "нету", "not", "no", "cannot", "cant", "dont", "doesnt", "didnt", "isnt", "arent", "wont")
)
#: English's negative contractions, whose apostrophe splits them into two words ("can't").
_CONTRACTED_NEGATION = re.compile(r"[a-z]n['’]t\b", re.IGNORECASE)


def _states_a_problem(text: str) -> bool:
    """Whether ``text`` says that something does not happen or work ("не приходит", "нет
    доступа", "is not coming", "doesn't work", "can't")."""
    return bool(_CONTRACTED_NEGATION.search(text)) or not _NEGATION.isdisjoint(textnorm.words(text))


def _category_token(category: str) -> str:
    """One FTS token per category ("ads-business" would otherwise be two)."""
    return "c" + category.encode("utf-8", "surrogatepass").hex()


def _pack(values: Iterable[int], typecode: str = _U32) -> bytes:
    packed = array(typecode, values)
    if _SWAP:
        packed.byteswap()
    return packed.tobytes()


def _unpack(blob: bytes, typecode: str = _U32) -> array[int]:
    values = array(typecode)
    values.frombytes(blob)
    if _SWAP:
        values.byteswap()
    return values


class _Stems:
    """Word → term (``textnorm.term``) with a memo, stop words dropped: the index-side pipeline."""

    def __init__(self) -> None:
        self.memo: dict[str, str] = {}  # word → its term; never a stop word
        self._seen: dict[str, str] = {}  # the memo and each stop word met, as ""

    def __call__(self, text: str) -> tuple[list[str], list[str]]:
        """The text's words but stop words, and their terms (parallel lists)."""
        words = textnorm.words(text)
        seen = self._seen
        looked_up = list(map(seen.get, words))  # map, filter and compress loop in C
        if None in looked_up:
            for word in set(compress(words, (t is None for t in looked_up))):
                term = "" if word in textnorm.STOP_WORDS else textnorm.term(word)
                seen[word] = term
                if term:
                    self.memo[word] = term
            looked_up = list(map(seen.get, words))
        terms = cast("list[str]", looked_up)  # every word is seen now
        if "" in terms:
            words = list(compress(words, terms))
            terms = list(filter(None, terms))
        return words, terms


def _word_forms(words: Iterable[str], known: dict[str, str]) -> dict[str, str]:
    """Other forms of the corpus's dictionary words → their term, for query words no article
    has in that form ("людьми" when the corpus has "люди", "удалён" when it has "удалить")."""
    out: dict[str, str] = {}
    lemmas = {textnorm.lemma(w) for w in words}
    for lemma in sorted(w for w in lemmas if w):
        term = textnorm.stem(lemma)
        for form in textnorm.forms(lemma):
            if form not in known:
                out.setdefault(form, term)
    return out


def _data_path(name: str) -> Path:
    """A file of the package's search data (desk/data/): what the index is built from."""
    from importlib import resources  # only the rebuild needs these

    return Path(str(resources.files("vksupport_cli.desk") / "data" / name))


def _near_rows(
    terms: dict[str, int], form_stems: set[str], content_terms: set[str]
) -> Iterable[tuple[str, str, float]]:
    """(term, corpus term, similarity) from the shipped thesaurus (tools/build_thesaurus.py),
    Wiktionary glosses (tools/build_glosses.py), the words people use for the corpus's words
    (``_variant_pairs``) and English lexicon (tools/build_lexicon.py): for every term, the
    neighbours the corpus has.

    A gloss counts only for a word no article has and that is not an everyday word (no
    entry in ``data/frequency.tsv``): it defines a colloquial sense ("кинуть": "обмануть"),
    which an everyday word ("сказать") is seldom meant in. A translation's similarity is 1
    for the likeliest of its word, scaled down to ``LEXICON_FLOOR`` for the least likely,
    so that every translation the lexicon lists counts (the thesaurus's floor ``NEAR_MIN``
    does not apply to probabilities)."""
    import gzip

    # a stop word's term ("как" from "каким") carries no topic: never a neighbour
    # (unless a content word of the corpus has it too: "друг" of "друзья", not only of "другой")
    function_words = {textnorm.stem(w) for w in textnorm.STOP_WORDS} - content_terms
    everyday = _zipf()
    kept: dict[str, list[tuple[str, float]]] = {}
    words: set[str] = set()  # stems with neighbours of their own: some word's dictionary form
    aliases: list[tuple[str, str]] = []
    glossed: dict[str, list[tuple[str, float]]] = {}
    for name in ("thesaurus.tsv.gz", "glosses.tsv.gz"):
        path = _data_path(name)
        if not path.exists():
            continue
        gloss = name.startswith("glosses")
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                stem, _tab, rest = line.partition("\t")
                if gloss and (stem in terms or stem in everyday):
                    continue
                for pair in rest.split():
                    if pair.startswith("="):  # a form's stem → its dictionary form's ("кинул" → "кинут")
                        aliases.append((stem, pair[1:]))
                        continue
                    near, _colon, hundredths = pair.partition(":")
                    words.add(stem)
                    if near.startswith("~"):  # the same word family ("угрожа" → "угроз")
                        near, hundredths = near[1:], str(round(FAMILY_SIMILARITY * 100))
                    if gloss and everyday.get(near, 0.0) >= GLOSS_COMMON:
                        continue
                    if near in terms and near not in function_words:
                        (glossed if gloss else kept).setdefault(stem, []).append(
                            (near, int(hundredths) / 100)
                        )
    variants: dict[str, list[str]] = {}
    for stem, near in _variant_pairs(terms, form_stems, aliases):
        if near not in function_words:
            variants.setdefault(stem, []).append(near)
    for stem, nears in variants.items():
        words.add(stem)
        # a word people use for several ("левый": "чужой", "посторонний", "подозрительный"):
        # search them all, name none as meant, as for a word glossed by several
        similarity = VARIANT_SIMILARITY if len(nears) == 1 else min(VARIANT_SIMILARITY, GLOSS_AMBIGUOUS)
        kept.setdefault(stem, []).extend((near, similarity) for near in nears)
    for stem, pairs in glossed.items():
        if len(pairs) > 1:  # the dictionary gives several: search them all, name none as meant
            pairs = [(near, min(similarity, GLOSS_AMBIGUOUS)) for near, similarity in pairs]
        kept.setdefault(stem, []).extend(pairs)
    for stem, pairs in kept.items():
        for near, similarity in pairs:
            yield stem, near, similarity
    # A query word no article has is looked up by its Snowball stem, which for some forms
    # is not its dictionary form's ("кинули" → "кинул", not "кинут"): such a stem gets the
    # neighbours of its dictionary form's, unless it is a term of its own, or a comparative's
    # prefix makes it look like a word of its own: "подлиннее" is a form of "длинный", but
    # "подлин" is first the stem of "подлинный" (genuine), "помощн" of "помощник".
    for stem, term in aliases:
        if stem not in kept and stem not in terms and not (stem in words and _comparative_of(stem, term)):
            for near, similarity in kept.get(term, ()):
                yield stem, near, similarity
    path = _data_path("lexicon.tsv")
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            stem, _tab, rest = line.partition("\t")
            pairs = [(near, int(p)) for near, _colon, p in (pair.partition(":") for pair in rest.split())]
            top = max((p for _near, p in pairs), default=1) or 1
            for near, p in pairs:
                if near in terms and near not in function_words:  # "этот" (from "этой"): no sense
                    yield stem, near, LEXICON_FLOOR + (1 - LEXICON_FLOOR) * p / top


def _variant_pairs(
    terms: dict[str, int], form_stems: set[str], aliases: list[tuple[str, str]]
) -> Iterator[tuple[str, str]]:
    """(variant's term, corpus term) from ``data/variants.tsv``, the words people use for the
    corpus's words ("настучать" for "пожаловаться"), for the lemmas the corpus has; appends to
    ``aliases`` each variant form's Snowball stem that is not its term ("настучали" →
    "настучал", term "настуча"), as the thesaurus's ``=`` lines do.

    A stem that some form of a corpus word also has (``form_stems``) but that is no corpus
    term is left to that word: Snowball cuts "профит" (profit) to "проф", as it does "профилю",
    and a "профил" typed for "профиль" must not read as "доход"."""
    path = _data_path("variants.tsv")
    if not path.exists():
        return
    for line in path.read_text("utf-8").splitlines():
        lemma, _tab, rest = line.partition("\t")
        target = textnorm.term(lemma)
        if line.startswith("#") or target not in terms:
            continue
        for variant in filter(None, (v.strip() for v in rest.split(","))):
            stem = textnorm.term(variant)
            if stem == target or (stem in form_stems and stem not in terms):
                continue
            yield stem, target
            aliases.extend(
                (form_stem, stem)
                for form_stem in {textnorm.stem(f) for f in textnorm.forms(variant)} - {stem} - form_stems
            )


def _comparative_of(stem: str, term: str) -> bool:
    """Whether ``stem`` is ``term`` with a comparative's or superlative's prefix ("по-", "наи-":
    "побыстрее", "наибольший"), the one way a Russian form gains letters at its start."""
    return any(stem.startswith(prefix) and stem[len(prefix) :][:2] == term[:2] for prefix in ("по", "наи"))


@lru_cache(maxsize=1)
def _zipf() -> dict[str, float]:
    """term → its Zipf frequency in Russian at large, for the common ones (tools/build_frequency.py)."""
    path = _data_path("frequency.tsv")
    if not path.exists():
        return {}
    lines = path.read_text("utf-8").splitlines()
    pairs = (line.partition("\t") for line in lines if not line.startswith("#"))  # "#": the credit
    return {term: int(value) / 100 for term, _tab, value in pairs}


class _Analysed(NamedTuple):
    """One article as the index keeps it, its terms not yet numbered."""

    terms: list[list[str]]  # each field's terms in order (title, English title, keywords, body)
    packed: dict[str, int]  # term → its count in each field, 8 bits each
    masks: dict[str, int]  # term → the sentences of the title, English title and body that hold it
    problem: bool  # the title says something does not work


class _Analyser:
    """An article's text → ``_Analysed``: the build's work per article, done in this process
    or, for a large help centre, in worker processes (``_analyse_chunk``). Counts the
    surface words it meets as it goes."""

    def __init__(self) -> None:
        self.stems = _Stems()
        self.word_tf: Counter[str] = Counter()
        self.word_df: Counter[str] = Counter()
        self.zipf = _zipf()

    def __call__(
        self, title: str, title_en: str | None, body: str, tags: str, keywords: str, said: list[str]
    ) -> _Analysed:
        stems = self.stems
        extra = " ; ".join(_json_list(tags) + _json_list(keywords))
        # the body stemmed in one call, its sentence ends marked by a word no text has
        marked_words, marked_terms = stems(_SENTENCE_END.sub(_SENTENCE_MARK, body))
        ends = list(compress(range(len(marked_words)), map(_SENTENCE_WORD.__eq__, marked_words)))
        body_field = (
            list(compress(marked_words, map(_SENTENCE_WORD.__ne__, marked_words))),
            list(compress(marked_terms, map(_SENTENCE_WORD.__ne__, marked_words))),
        )
        fields = [stems(title), stems(title_en or ""), stems(extra), body_field]
        starts = [0, *(i + 1 for i in ends)]
        sentences = [
            fields[0][1],
            fields[1][1],
            *(marked_terms[a:b] for a, b in zip(starts, [*ends, None], strict=True)),
        ]
        # what the articles that refer to this one say of it (``said``), their rarer words:
        # a sentence each
        for text in said:
            pairs = [(w, t) for w, t in zip(*stems(text), strict=True) if self.zipf.get(t, 0.0) < COMMON_ZIPF]
            body_field[0].extend(w for w, _t in pairs)
            body_field[1].extend(t for _w, t in pairs)
            sentences.append([t for _w, t in pairs])
        # Counter, set and map do the per-occurrence work in C: Python loops over distinct terms
        every_word = list(chain.from_iterable(words for words, _terms in fields))
        self.word_tf.update(every_word)
        self.word_df.update(set(every_word))
        counted = [Counter(terms) for _words, terms in fields]
        for field in counted:  # seldom more than the 8 bits hold: checked in C, capped in Python
            if field and max(field.values()) > _MAX_FIELD_COUNT:
                for stem in [stem for stem, n in field.items() if n > _MAX_FIELD_COUNT]:
                    field[stem] = _MAX_FIELD_COUNT
        packed = {stem: n << 24 for stem, n in counted[3].items()}  # the body's (most terms) first
        for i in range(3):
            for stem, n in counted[i].items():
                packed[stem] = packed.get(stem, 0) | n << (8 * i)
        masks: dict[str, int] = {}
        for i, terms in enumerate(sentences):
            bit = 1 << min(i, 63)
            for stem in set(terms):
                masks[stem] = masks.get(stem, 0) | bit
        return _Analysed([terms for _words, terms in fields], packed, masks, _states_a_problem(title))


#: From this many articles the build analyses them in worker processes, a chunk at a time,
#: while this one numbers their terms and writes the index (``_parallel_workers``): on 2
#: cores, 100,000 articles in about 38 s instead of 60.
PARALLEL_MIN = 5000
PARALLEL_CHUNK = 500
_ROW = tuple[str, str | None, str, str, str, list[str]]  # title, English title, body, tags, keywords, said
_worker: _Analyser | None = None


def _analyse_chunk(rows: list[_ROW]) -> tuple[list[_Analysed], Counter[str], Counter[str], dict[str, str]]:
    """A worker process's part: the chunk's articles analysed, the surface words met in them
    (counted per chunk) and their terms."""
    global _worker  # one analyser per worker process: its memo outlives a chunk
    if _worker is None:
        _worker = _Analyser()
    analyser = _worker
    analyser.word_tf, analyser.word_df = Counter(), Counter()
    analysed = [analyser(*row) for row in rows]
    memo = analyser.stems.memo
    return analysed, analyser.word_tf, analyser.word_df, {w: memo[w] for w in analyser.word_df}


def _parallel_workers(articles: int) -> int:
    """How many worker processes analyse ``articles`` articles: none for a small help centre,
    on one core, or where a fork is unsafe; else as many as cores (this process mostly waits
    for them: on 2 cores, 20,000 articles took 13.7 s alone, 10.4 s with one, 9.0 s with two).

    Forked workers: a spawned one would import the caller's ``__main__`` again, which a script
    without a main guard does not survive; and a fork copies only the thread that calls it,
    so a process running other threads (a server) analyses the articles itself."""
    import multiprocessing
    import os
    import threading

    cores = os.cpu_count() or 1
    if articles < PARALLEL_MIN or cores < 2 or threading.active_count() > 1:
        return 0
    return min(cores, 4) if "fork" in multiprocessing.get_all_start_methods() else 0


def _analysed(conn: sqlite3.Connection, analyser: _Analyser) -> Iterator[tuple[str, str, _Analysed]]:
    """(slug, category, analysed) for every article in slug order: analysed by ``analyser``,
    or, for a help centre of ``PARALLEL_MIN`` articles or more on a machine of several cores,
    by worker processes whose word counts and terms are merged into ``analyser``'s."""
    references = _references(conn)
    rows = conn.execute(
        "SELECT slug, category, title, title_en, body, tags, keywords FROM articles ORDER BY slug"
    )
    workers = _parallel_workers(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    if not workers:
        for slug, category, title, title_en, body, tags, keywords in rows:
            yield slug, category, analyser(title, title_en, body, tags, keywords, references.get(slug, []))
        return

    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    def chunks() -> Iterator[tuple[list[tuple[str, str]], list[_ROW]]]:
        while batch := rows.fetchmany(PARALLEL_CHUNK):
            yield (
                [(slug, category) for slug, category, *_ in batch],
                [(*text, references.get(slug, [])) for slug, _category, *text in batch],
            )

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pending: deque[tuple[list[tuple[str, str]], Future[Any]]] = deque()
        for names, batch in chunks():
            pending.append((names, pool.submit(_analyse_chunk, batch)))
            if len(pending) > 2 * workers:  # a few chunks ahead, not the whole corpus in memory
                yield from _merged(analyser, *pending.popleft())
        while pending:
            yield from _merged(analyser, *pending.popleft())


def _merged(
    analyser: _Analyser, names: list[tuple[str, str]], future: Future[Any]
) -> Iterator[tuple[str, str, _Analysed]]:
    analysed, word_tf, word_df, memo = future.result()
    analyser.word_tf.update(word_tf)
    analyser.word_df.update(word_df)
    analyser.stems.memo.update(memo)
    for (slug, category), article in zip(names, analysed, strict=True):
        yield slug, category, article


def rebuild_index(conn: sqlite3.Connection) -> None:
    """(Re)build every ``search_*`` table from ``articles``; call inside a write transaction.

    A stored version other than ``INDEX_VERSION`` means the table layout may have
    changed, so the old tables are dropped rather than refilled.
    """
    if _stored_version(conn) != str(INDEX_VERSION):
        for table in _TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
    for table in _TABLES[1:]:
        conn.execute(f"DELETE FROM {table}")  # noqa: S608 - a name from the constant _TABLES

    term_id: dict[str, int] = {}
    token: dict[str, str] = {}  # term → its FTS5 token, "t42"
    term_df: Counter[str] = Counter()
    lengths = [0] * len(FIELDS)
    docs: list[tuple[Any, ...]] = []
    fts: list[tuple[Any, ...]] = []
    count = 0

    def flush() -> None:
        conn.executemany(
            "INSERT INTO search_docs (rowid, slug, category, terms, counts,"
            " len_title, len_title_en, len_keywords, len_body, problem, sentences)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            docs,
        )
        conn.executemany(
            "INSERT INTO search_fts (rowid, title, title_en, keywords, body, category)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            fts,
        )
        docs.clear()
        fts.clear()

    analyser = _Analyser()
    for count, (slug, category, article) in enumerate(_analysed(conn, analyser), start=1):
        terms, packed, masks = article.terms, article.packed, article.masks
        for stem in sorted(packed.keys() - term_id.keys()):  # first seen: ids in a fixed order
            tid = term_id[stem] = len(term_id) + 1
            token[stem] = f"t{tid}"
        term_df.update(packed.keys())
        for i, field in enumerate(terms):
            lengths[i] += len(field)
        ordered = sorted(packed, key=term_id.__getitem__)
        docs.append(
            (
                count,
                slug,
                category,
                _pack(map(term_id.__getitem__, ordered)),
                _pack(map(packed.__getitem__, ordered)),
                *map(len, terms),
                article.problem,
                _pack(map(masks.get, ordered, repeat(0)), _U64),  # a keyword is in no sentence
            )
        )
        fts.append(
            (count, *(" ".join(map(token.__getitem__, field)) for field in terms), _category_token(category))
        )
        if len(docs) >= 1000:
            flush()
    flush()

    shown: dict[str, str] = {}  # term → its commonest word
    stems, word_df = analyser.stems, analyser.word_df
    for word, _tf in sorted(analyser.word_tf.items(), key=lambda pair: (-pair[1], pair[0])):
        shown.setdefault(stems.memo[word], word)
    conn.executemany(
        "INSERT INTO search_terms (id, stem, df, word, zipf) VALUES (?, ?, ?, ?, ?)",
        ((i, s, term_df[s], shown[s], analyser.zipf.get(s, 0.0)) for s, i in term_id.items()),
    )
    conn.executemany(
        "INSERT INTO search_words (word, stem, df) VALUES (?, ?, ?)",
        ((w, stems.memo[w], df) for w, df in word_df.items()),
    )
    forms = _word_forms(word_df, stems.memo)
    conn.executemany("INSERT INTO search_words (word, stem, df) VALUES (?, ?, 0)", forms.items())
    conn.executemany(
        "INSERT INTO search_near VALUES (?, ?, ?)"
        " ON CONFLICT (stem, near) DO UPDATE SET similarity = max(similarity, excluded.similarity)",
        _near_rows(
            term_id,
            {textnorm.stem(w) for w in chain(word_df, forms)},
            {stems.memo[w] for w in word_df if textnorm.lemma(w) not in textnorm.STOP_WORDS},
        ),
    )
    conn.executemany("INSERT INTO search_everyday VALUES (?)", ((term,) for term in _zipf()))
    conn.executemany(
        "INSERT OR IGNORE INTO search_typo (key, word) VALUES (?, ?)",
        (
            (key, word)
            for word in word_df
            if TYPO_MIN_LEN <= len(word) <= TYPO_MAX_LEN and word.isalpha()
            for key in textnorm.deletes(word)
        ),
    )
    meta: dict[str, float] = {"documents": count}
    meta.update((f"avglen_{f}", lengths[i] / max(count, 1)) for i, f in enumerate(FIELDS))
    conn.executemany("INSERT INTO search_meta (name, value) VALUES (?, ?)", meta.items())
    conn.execute(
        "INSERT INTO settings (name, value) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (_VERSION_KEY, str(INDEX_VERSION)),
    )


def _title_key(text: str) -> str:
    """A title as a reference quotes it, whatever its case, ё and punctuation."""
    return " ".join(_TITLE_WORD.findall(text.lower().replace("ё", "е")))


def _references(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """slug → what other articles say where they refer the reader to it: the text before
    a reference ("Хотите получить отметку сами? Прочитайте статью «Как получить галочку
    верификации»") in its paragraph, from the start of the sentence before. An article's
    own words for another's subject, as a link's anchor text is on the web; at most
    ``REFERENCES_KEPT`` distinct ones per article."""
    slugs = {_title_key(title): slug for slug, title in conn.execute("SELECT slug, title FROM articles")}
    found: dict[str, list[str]] = {}
    for slug, body in conn.execute("SELECT slug, body FROM articles WHERE body LIKE '%«%'"):
        for match in _QUOTED.finditer(body):
            referring = _REFERRING.search(body, max(0, match.start() - 24), match.start())
            if referring is None:
                continue
            target = slugs.get(_title_key(match.group(1)))
            if target is None or target == slug:
                continue
            paragraph = body[body.rfind("\n", 0, referring.start()) + 1 : referring.start()]
            sentences = _SENTENCE_END.split(paragraph)
            said = " ".join(sentences[-2:]).strip()
            kept = found.setdefault(target, [])
            if said and said not in kept and len(kept) < REFERENCES_KEPT:
                kept.append(said)
    return found


def _json_list(text: str | None) -> list[str]:
    import json  # only the rebuild needs it

    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def ensure_index(conn: sqlite3.Connection) -> None:
    """Rebuild the index if it is missing or was built by another ``INDEX_VERSION``.

    One SELECT when the index is current, so every search can afford it.
    """
    if _stored_version(conn) == str(INDEX_VERSION):
        return
    with db.write(conn):
        if _stored_version(conn) != str(INDEX_VERSION):  # another process may have won
            rebuild_index(conn)


def _stored_version(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE name = ?", (_VERSION_KEY,)).fetchone()
    return row[0] if row else None


# -- querying ------------------------------------------------------------------


class Results(NamedTuple):
    """What ``interpret`` found: ranked ``(slug, score)`` pairs, and the query as it was read
    when that differs from what was typed (layout, transliteration, typo or a word of like
    meaning put in its place), else None."""

    hits: list[tuple[str, float]]
    interpreted_as: str | None


def search(
    conn: sqlite3.Connection, query: str, *, category: str | None = None, limit: int = 10
) -> list[tuple[str, float]]:
    """Articles matching ``query``, best first, as ``(slug, score)``; see ``interpret``."""
    return interpret(conn, query, category=category, limit=limit).hits


def interpret(
    conn: sqlite3.Connection, query: str, *, category: str | None = None, limit: int = 10
) -> Results:
    """Articles matching ``query``, best first, and how the query was read.

    ``score`` is BM25F over title, English title, keywords and body (weights
    ``FIELD_WEIGHTS``), with typo fixes, related word forms, words of like meaning
    and synonyms discounted, times the informative share of the query matched and
    a bonus for covering the title: positive, higher is better, comparable only
    between results of the same query. ``category`` restricts the results to one
    category (an unknown one gives no results); ``limit`` is 1..100. Raises
    ``BadInput`` for text with nothing to search for; no query text ever reaches
    FTS5 as syntax.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadInput(_("The limit must be a whole number from 1 to {limit}.").format(limit=MAX_LIMIT))
    if category is not None and not isinstance(category, str):
        raise BadInput(_("The category must be text."))
    if category is not None and len(category) > MAX_CATEGORY_CHARS:
        category = ""  # no category is that long: no results, like any unknown one
    text = _clean(query)
    if not _LETTER_OR_DIGIT.search(text):
        raise BadInput(_("Type a few words to search for."))
    ensure_index(conn)
    groups, interpreted = _query_groups(conn, text)
    hits = _rank(conn, groups, category, limit, _states_a_problem(text)) if groups else []
    return Results(hits, interpreted if hits else None)


def _clean(query: object) -> str:
    """The query as safe text: str only, no control characters or lone surrogates, bounded."""
    if not isinstance(query, str):
        raise BadInput(_("The search query must be text."))
    text = query[: MAX_QUERY_CHARS * 4]
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates → '?'
    text = _CONTROL.sub(" ", text)
    return text[:MAX_QUERY_CHARS]


#: The alternatives for one query word, {stem: weight}; the word's own stem weighs 1.
Group = dict[str, float]


def _readings(chunk: str) -> list[tuple[str, list[list[str]]]]:
    """Ways to read one chunk, as typed first, each with its kind ("typed", "layout": Russian
    typed on the English layout, "translit", "layout-en": English typed on the Russian layout);
    a reading is a list of slots of alternative words."""
    typed = textnorm.words(chunk)
    readings = [("typed", [[w] for w in typed])]
    if _LATIN.search(chunk):
        layout = [[w] for w in textnorm.words(textnorm.from_layout(chunk))]
        bare = chunk.rstrip(",.")
        if bare != chunk and layout:
            # a comma or full stop after a word is the key of "б" or "ю", or just punctuation
            rest = textnorm.words(textnorm.from_layout(bare))
            if len(rest) == len(layout) and rest[-1] != layout[-1][0]:
                layout[-1].append(rest[-1])
        readings.append(("layout", layout))
        readings.append(
            ("translit", [textnorm.translit_variants(w) if textnorm.is_latin(w) else [w] for w in typed])
        )
    if _CYRILLIC.search(chunk) and not _PUNCTUATION_KEYS.search(chunk):
        readings.append(("layout-en", [[w] for w in textnorm.words(textnorm.to_layout(chunk))]))
    return [(kind, r) for kind, r in readings if r]


def _cognates(word: str) -> list[str]:
    """``textnorm.english_cognates`` of a Latin word that are no transliteration of it."""
    translit = set(textnorm.translit_variants(word))
    return [c for c in textnorm.english_cognates(word)[:COGNATES] if c not in translit]


class _Vocabulary:
    """What the index knows about the words of one query, looked up in a few SELECTs."""

    def __init__(self, conn: sqlite3.Connection, words: set[str]) -> None:
        self.conn = conn
        cognates = {w: _cognates(w) for w in words if textnorm.is_latin(w)}
        #: word → (term, df): the corpus's words (df ≥ 1) and other forms of its words (df 0)
        self.words = _lookup_words(conn, words | {c for cs in cognates.values() for c in cs})
        #: a Latin word → the terms of the corpus words it is an English cognate of
        self.cognates = {
            w: list(dict.fromkeys(self.words[c][0] for c in cs if c in self.words))
            for w, cs in cognates.items()
        }
        self.stems = {w: self.words[w][0] if w in self.words else textnorm.stem(w) for w in words}
        self.known = _lookup_stems(conn, set(self.stems.values()))
        self.near = _lookup_near(conn, set(self.stems.values()))
        #: the stems of everyday words the corpus lacks (what "did you mean" never shows a look-alike for)
        self.everyday = _lookup_everyday(conn, set(self.stems.values()) - set(self.known))
        near = {other for pairs in self.near.values() for other, _ in pairs}
        #: stem → its commonest word in the corpus, for the query's stems and their neighbours
        self.shown = {
            s: info[2] for s, info in (self.known | _lookup_stems(conn, near - set(self.known))).items()
        }
        #: word → [(stem, weight, corrected word)], nearest first
        self.fixes: dict[str, list[tuple[str, float, str]]] = {}

    def stem(self, word: str) -> str:
        stem = self.stems.get(word)
        if stem is None:
            stem = self.stems[word] = textnorm.stem(word)
        return stem

    def value(self, word: str) -> float:
        """How surely the word is meant: a corpus word 1, another form of one 0.9, a known
        stem 0.8, a word of like meaning to a known one 0.6, a stop word 0.5."""
        if word in textnorm.STOP_WORDS:
            return 0.5
        if len(word) < 2:
            return 0.0
        if word in self.words:
            return 1.0 if self.words[word][1] else 0.9
        if self.cognates.get(word):
            return COGNATE_WEIGHT
        stem = self.stem(word)
        if stem in self.known:
            return 0.8
        return 0.6 if stem in self.near else 0.0

    def fix_value(self, word: str) -> float:
        return max((weight for _, weight, _ in self.fixes.get(word, ())), default=0.0)

    def add_fixes(self, words: Iterable[str]) -> None:
        self.fixes.update(_typo_fixes(self.conn, sorted(set(words) - set(self.fixes))))


def _best_reading(
    readings: list[list[list[str]]], value: Callable[[str], float]
) -> tuple[float, int, list[str]]:
    """The reading with the highest mean word value, as typed on ties: score, index, its words."""
    best_score, best_index, best_words = -1.0, 0, []
    for index, reading in enumerate(readings):
        picks = [max(((value(w), w) for w in slot[:8]), key=lambda p: p[0]) for slot in reading]
        score = sum(v for v, _ in picks) / len(picks)
        if score > best_score:
            best_score, best_index, best_words = score, index, [w for _, w in picks]
        if all(v for v, _ in picks):
            break  # every word known: take it at its word
    return best_score, best_index, best_words


def _one_way(
    labelled: list[list[tuple[str, list[list[str]]]]],
    chosen: list[list[str]],
    kinds: list[str],
    scores: list[float],
    retyped: set[str],
    vocab: _Vocabulary,
) -> None:
    """A person types a whole query one way: as is, on the wrong layout, or transliterated.
    The words read surely (a word the index knows, or one of like meaning) vote; when most
    of them, two at least, were read one way, the chunks read unsurely (a stop word, an
    unknown word) are read that way too: "ne" in a transliterated query is "не", not "ту"
    on the other layout; a misspelt Russian word is not English typed on the Russian layout."""
    votes = Counter(kind for kind, score in zip(kinds, scores, strict=True) if score >= ONE_WAY_VOTE)
    if not votes:
        return
    mode, count = votes.most_common(1)[0]
    if count < 2 or count * 2 <= sum(votes.values()):
        return
    for i, readings in enumerate(labelled):
        if kinds[i] == mode:
            continue
        for kind, reading in readings:
            if kind == mode:
                score, _index, words = _best_reading([reading], vocab.value)
                # an unsure chunk, or one read a third way while the query's way gives a word
                # too (a stop word counts): "ne" is "не", not "ту" on the other layout
                if scores[i] > ONE_WAY_UNSURE and ("typed" in (kinds[i], mode) or score == 0):
                    break
                chosen[i] = words
                kinds[i] = mode
                if mode != "typed":
                    retyped.update(words)
                break


def _query_groups(conn: sqlite3.Connection, text: str) -> tuple[list[Group], str | None]:
    """The query as groups of weighted alternative stems, one group per meaningful word,
    and the query as read when that differs from what was typed."""
    text = textnorm.drop_stop_phrases(textnorm.phrasal(text))
    labelled = [_readings(chunk) for chunk in text.split()[:MAX_CHUNKS]]
    chunks = [[r for _kind, r in readings] for readings in labelled]
    vocab = _Vocabulary(conn, {w for rs in chunks for r in rs for slot in r for w in slot})

    chosen: list[list[str]] = []
    kinds: list[str] = []  # the kind of reading taken for each chunk
    scores: list[float] = []
    retyped: set[str] = set()  # words of a reading other than as typed (layout, transliteration)
    unknown: list[int] = []  # chunks none of whose readings the index knows
    for readings in labelled:
        score, index, words = _best_reading([r for _kind, r in readings], vocab.value)
        if score == 0 and len(readings) > 1 and len(unknown) < MAX_GUESSED_CHUNKS:
            unknown.append(len(chosen))
        chosen.append(words)
        kinds.append(readings[index][0] if readings else "typed")  # no letter: no reading
        scores.append(score)
        if index:
            retyped.update(words)
    if unknown:
        # A typo on top of a layout slip or a transliteration ("avatrku"): take the
        # reading whose words are closest to known words.
        vocab.add_fixes(w for i in unknown for r in chunks[i] for slot in r for w in slot[:8])
        for i in unknown:
            score, index, words = _best_reading(chunks[i], vocab.fix_value)
            if score > 0:
                chosen[i] = words
                kinds[i] = labelled[i][index][0]
                scores[i] = score
                if index:
                    retyped.update(words)
    _one_way(labelled, chosen, kinds, scores, retyped, vocab)

    words = [
        w
        for w in dict.fromkeys(w for ws in chosen for w in ws)
        if len(w) > 1 and w not in textnorm.STOP_WORDS and (w in vocab.words or not _near_stop_word(w))
    ]
    vocab.add_fixes(w for w in words if vocab.stem(w) not in vocab.known)
    groups: list[Group] = []
    shown: dict[str, str] = {}  # a word read otherwise → what the search looked for instead
    total = 0
    for word in words:
        stem = vocab.stem(word)
        if stem in vocab.known:
            group: Group = {stem: 1.0}
            if word in retyped and word not in vocab.words:  # "parol" read as "парол": show "пароль"
                shown[word] = vocab.shown[stem]
            # a paraphrase: "поменять" where the article says "сменить"; not in a description
            # of several sentences, whose many words say enough and whose loose neighbours add noise
            for other, similarity in vocab.near.get(stem, []) if len(words) < LONG_QUERY else ():
                if similarity >= NEAR_KNOWN_MIN:
                    group.setdefault(other, NEAR_KNOWN_WEIGHT * similarity)
        else:
            # a slang word of SYNONYMS ("бабки", "прога") is meant as typed: no look-alike
            # ("банки") or longer word it begins ("проголосовать") stands in for it
            listed = bool(textnorm.synonyms(stem))
            fixes = [] if listed else vocab.fixes.get(word, [])
            near = vocab.near.get(stem, [])
            # a real word the corpus lacks is more likely meant than a look-alike of a known one;
            # only a close neighbour says it is one: a far one, or the glosses of a clip that a
            # typo happens to spell ("профил" → "проф"), do not
            real = bool(near) and near[0][1] >= NEAR_SHOWN
            typo = REAL_WORD_TYPO if real else 1.0
            group = {fix: weight * typo for fix, weight, _ in fixes}
            for other, similarity in near:
                if similarity >= NEAR_MIN:
                    group.setdefault(other, NEAR_WEIGHT * similarity)
                    # a translation brings its synonyms: "account" → "аккаунт" → "страница"
                    for synonym in textnorm.synonyms(other) if textnorm.is_latin(word) else ():
                        group.setdefault(synonym, NEAR_WEIGHT * similarity * SYNONYM_WEIGHT)
            derived: list[str] = []  # corpus terms the word is a prefixed form of, or clips
            if not fixes and not listed:
                # two ways to the same word (a gloss and a clip: "админ") make it surer, not less
                for base in _unprefixed(vocab, word):
                    group[base] = max(group.get(base, 0.0), UNPREFIXED_WEIGHT)
                    derived.append(base)
                for clipped in _clipped(conn, word, stem):
                    group[clipped] = max(group.get(clipped, 0.0), CLIPPED_WEIGHT)
                    derived.append(clipped)
            meant = _shown_as(conn, vocab, word, fixes if not real else [], near, derived, len(words))
            if meant is not None:
                shown[word] = meant
        for cognate in vocab.cognates.get(word, ()):
            group.setdefault(cognate, COGNATE_WEIGHT)
        for related in _related(conn, stem):
            group.setdefault(related, RELATED_WEIGHT)
        for partner in _derived(conn, stem):
            group.setdefault(partner, DERIVED_WEIGHT)
        for synonym in textnorm.synonyms(stem):
            group.setdefault(synonym, SYNONYM_WEIGHT)
        if not group or group in groups:
            continue
        if total + len(group) > MAX_TERMS:
            break
        groups.append(group)
        total += len(group)
    read = " ".join(shown.get(w, w) for ws in chosen for w in ws)
    return groups, (read if read != " ".join(textnorm.words(text)) else None)


def _shown_as(
    conn: sqlite3.Connection,
    vocab: _Vocabulary,
    word: str,
    look_alikes: list[tuple[str, float, str]],
    near: list[tuple[str, float]],
    derived: list[str],
    query_words: int,
) -> str | None:
    """What "did you mean" names for a word the corpus lacks, or None: it was meant as typed."""
    if textnorm.is_latin(word) and query_words > 1:
        return None  # an English phrase's words' Russian stand-ins read as a jumble
    # an everyday word was meant as typed, though searched through its look-alikes and the
    # words it seems to clip or prefix: "правда" is not shown as "права", nor "отдать" as
    # "данные" (a neighbour in meaning is: "график" → "расписание")
    everyday = vocab.stem(word) in vocab.everyday
    if look_alikes:
        return None if everyday else look_alikes[0][2]
    if query_words >= LONG_QUERY:
        return None  # a description but for its typos: its neighbours ("десять" → "четыре") rewrite it
    cognates = vocab.cognates.get(word)
    if cognates:  # "registration": show "регистрация"
        return str(_lookup_stems(conn, {cognates[0]})[cognates[0]][2])
    if near and near[0][1] >= NEAR_SHOWN:  # only a close neighbour
        return vocab.shown.get(near[0][0], word)
    if derived and not everyday:  # "акк": show "аккаунт"
        return str(_lookup_stems(conn, {derived[0]})[derived[0]][2])
    return None


#: Suffixes of a verb and of the noun made from it (or it from the noun) in Snowball stems:
#: "верифицировать"/"верификация", "монетизировать"/"монетизация", "шантажировать"/"шантаж",
#: "блокировать"/"блокировка", "публиковать"/"публикация"; "-ир" is the present tense's stem
#: ("верифицируют"). Snowball leaves each pair apart, and their stems share too short a start for
#: ``_related``.
_DERIVED = (
    ("ифицирова", "ификац"),
    ("ифицир", "ификац"),
    ("изирова", "изац"),
    ("изир", "изац"),
    ("изова", "изац"),
    ("ирова", "ац"),
    ("ир", "ац"),
    ("ирова", "ировк"),
    ("ир", "ировк"),
    ("ова", "ац"),
    ("ирова", ""),
    # an adjective in "-очный" and its noun in "-ка" or verb: "проверочный" → "проверка", "проверить"
    ("очн", "к"),
    ("очн", ""),
)
DERIVED_MIN = 3  # letters left before the suffix, at least ("вер-ифицировать")
DERIVED_BARE_MIN = 4  # and before "-ировать" with no noun suffix ("шантаж-ировать")


def _derived(conn: sqlite3.Connection, stem: str) -> list[str]:
    """Corpus terms of the verb or noun a Russian word is derived from or into by the suffixes
    ``_DERIVED`` ("монетизировать" → "монетизация"; "модерация" → "модерировать")."""
    if not textnorm.is_cyrillic(stem):
        return []
    candidates = []
    for verb, noun in _DERIVED:
        for suffix, other in ((verb, noun), (noun, verb)):
            least = DERIVED_MIN if suffix and other else DERIVED_BARE_MIN
            if stem.endswith(suffix) and len(stem) - len(suffix) >= least:
                candidates.append(stem[: len(stem) - len(suffix)] + other)
    candidates = [c for c in dict.fromkeys(candidates) if c != stem]
    known = _lookup_stems(conn, set(candidates)) if candidates else {}
    return [c for c in candidates if c in known]


_DIMINUTIVE = re.compile(r"(?:[оеи]?чк|[оеё]к|к)$")


def _clipped(conn: sqlite3.Connection, word: str, stem: str) -> list[str]:
    """Terms of the corpus's words that begin with an unknown word's base: slang clips a word
    ("акк" for "аккаунт", "комп" for "компьютер") or makes a diminutive of its start ("симка"
    for "сим-карта", "страничка"). The base is the stem less a diminutive suffix; the commonest
    words of the corpus with that start come first."""
    if not textnorm.is_cyrillic(stem):
        return []
    # a stem of 3 letters is a clip only when it is the whole word ("акк"): Snowball cuts
    # "палит" to "пал", and the corpus words that begin so ("пальцем") are no kin of it
    bases = [stem] if len(stem) >= CLIPPED_STEM_MIN or stem == word else []
    base = _DIMINUTIVE.sub("", stem)
    if base != stem:
        bases.append(base)
    found: dict[str, int] = {}
    for base in bases:
        if len(base) < CLIPPED_MIN:
            continue
        rows = conn.execute(
            "SELECT stem, df FROM search_words WHERE word >= ? AND word < ? AND df > 0 LIMIT 50",
            (base, base + "\U0010ffff"),
        )
        for term, df in rows:
            found[term] = found.get(term, 0) + df
    return sorted(found, key=lambda term: -found[term])[:CLIPPED_MAX]


#: Prefixes Russian derives words with ("подруга" from "друг", "переписать" from "писать").
_PREFIXES = ("пере", "под", "при", "раз", "рас", "про", "по", "за", "на", "от", "вы", "до", "об", "со")


def _unprefixed(vocab: _Vocabulary, word: str) -> list[str]:
    """Terms of the corpus words an unknown Russian word is a prefixed derivative of: the word
    less a prefix, when that is a form of a corpus word ("подруга" → "друга", a form of "друг")."""
    if not textnorm.is_cyrillic(word):
        return []
    rests = [word[len(p) :] for p in _PREFIXES if word.startswith(p) and len(word) - len(p) >= UNPREFIXED_MIN]
    if not rests:
        return []
    found = _lookup_words(vocab.conn, set(rests))
    bases = [found[rest][0] for rest in rests if rest in found]
    if not bases:
        # no corpus word has that form: its stem may still be a corpus term ("залогиниться"
        # → "логиниться" → "логин"), if long enough to be more than a chance of letters
        stems = {textnorm.stem(rest) for rest in rests}
        known = _lookup_stems(vocab.conn, {s for s in stems if len(s) >= UNPREFIXED_STEM_MIN})
        bases = sorted(known, key=len, reverse=True)
    return list(dict.fromkeys(bases))


def _near_stop_word(word: str) -> bool:
    """A misspelt stop word ("помогище", "пожайлуста") must not be "corrected" into a topic."""
    if len(word) < 5:
        return False
    keys = _stop_word_keys()
    candidates = {stop for key in textnorm.deletes(word) for stop in keys.get(key, ())}
    return any(textnorm.osa_distance(word, stop, 1) <= 1 for stop in candidates)


@lru_cache(maxsize=1)
def _stop_word_keys() -> dict[str, tuple[str, ...]]:
    """One-deletion keys of the stop words of 4+ letters (two words one edit apart share one)."""
    keys: dict[str, list[str]] = {}
    for stop in textnorm.STOP_WORDS:
        if len(stop) >= 4:
            for key in textnorm.deletes(stop):
                keys.setdefault(key, []).append(stop)
    return {key: tuple(stops) for key, stops in keys.items()}


def _chunked(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _rows_in(conn: sqlite3.Connection, select: str, keys: set[str]) -> Iterator[Any]:
    """The rows of ``select`` (a SELECT ending in "WHERE <column>") whose column is one of
    ``keys``, a few hundred keys a statement (SQLite bounds the parameters of one)."""
    for part in _chunked(sorted(keys)):
        marks = ",".join("?" * len(part))
        yield from conn.execute(f"{select} IN ({marks})", part)  # only ? marks; values bound


def _lookup_words(conn: sqlite3.Connection, words: set[str]) -> dict[str, tuple[str, int]]:
    rows = _rows_in(conn, "SELECT word, stem, df FROM search_words WHERE word", words)
    return {r[0]: (r[1], r[2]) for r in rows}


def _lookup_stems(conn: sqlite3.Connection, stems: set[str]) -> dict[str, tuple[int, int, str, float]]:
    """stem → (term id, document frequency, commonest word, Zipf frequency in the language),
    for the stems the index knows."""
    rows = _rows_in(conn, "SELECT stem, id, df, word, zipf FROM search_terms WHERE stem", stems)
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def _lookup_everyday(conn: sqlite3.Connection, stems: set[str]) -> set[str]:
    return {r[0] for r in _rows_in(conn, "SELECT stem FROM search_everyday WHERE stem", stems)}


def _lookup_near(conn: sqlite3.Connection, stems: set[str]) -> dict[str, list[tuple[str, float]]]:
    """stem no article has → corpus stems nearest in meaning, nearest first."""
    found: dict[str, list[tuple[str, float]]] = {}
    rows = _rows_in(conn, "SELECT stem, near, similarity FROM search_near WHERE stem", stems)
    for stem, near, similarity in rows:
        found.setdefault(stem, []).append((near, similarity))
    for pairs in found.values():
        pairs.sort(key=lambda pair: -pair[1])
        del pairs[NEAR_MAX:]
    return found


def _typo_fixes(conn: sqlite3.Connection, words: list[str]) -> dict[str, list[tuple[str, float, str]]]:
    """Unknown word → stems of the nearest known words (edit distance 1, or 2 if long), weighted,
    with the word each came from."""
    keys: dict[str, set[str]] = {}
    for word in words:
        if TYPO_MIN_LEN <= len(word) <= TYPO_MAX_LEN and word.isalpha():
            for key in textnorm.deletes(word):
                keys.setdefault(key, set()).add(word)
    found: dict[str, list[tuple[int, int, str, str]]] = {}
    for part in _chunked(sorted(keys)):
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            f"SELECT t.key, w.word, w.stem, w.df FROM search_typo AS t"  # noqa: S608 - only ? marks; values bound
            f" JOIN search_words AS w ON w.word = t.word WHERE t.key IN ({marks})",
            part,
        )
        for key, candidate, stem, df in rows:
            for word in keys[key]:
                allowed = 1 if len(word) < TYPO_TWO_EDITS else 2
                distance = textnorm.osa_distance(word, candidate, allowed)
                if distance <= allowed:
                    found.setdefault(word, []).append((distance, -df, stem, candidate))
    fixes = {}
    for word, options in found.items():
        options.sort()
        nearest = options[0][0]
        best: dict[str, str] = {}
        for d, _df, stem, candidate in options:
            if d == nearest and stem not in best and len(best) < 3:
                best[stem] = candidate
        fixes[word] = [(s, TYPO_WEIGHT[nearest], c) for s, c in best.items()]
    return fixes


def _related(conn: sqlite3.Connection, stem: str) -> list[str]:
    """Known stems that ``stem`` begins with, or that begin with it, within 2 letters.

    Snowball leaves derived words apart ("удален" from "удаление", "удал" from
    "удалить"; "взлома" from "взломали", "взлом"; "threaten" from "threat"); a
    shared long prefix joins them.
    """
    if len(stem) < RELATED_MIN or not (
        textnorm.is_cyrillic(stem) or (len(stem) > RELATED_MIN and textnorm.is_latin(stem))
    ):
        return []
    shortest = max(RELATED_MIN, len(stem) - RELATED_SHORTER)
    shorter = [stem[:n] for n in range(len(stem) - 1, shortest - 1, -1)]
    known = _lookup_stems(conn, set(shorter))
    found = [s for s in shorter if s in known]
    rows = conn.execute(
        "SELECT stem FROM search_terms WHERE stem > ? AND stem < ? AND length(stem) <= ? LIMIT 20",
        (stem, stem + "\U0010ffff", len(stem) + RELATED_LONGER),
    )
    return found + [r[0] for r in rows]


def _best_sentence(held: list[tuple[float, list[tuple[int, float]]]]) -> float:
    """The largest idf-weighted part of the query one sentence of the article holds: for each
    sentence that holds any matched group, the sum of those groups' idf times their best
    weight there. ``held``: per matched group, its idf and its terms' (sentence mask, weight)."""
    anywhere = 0
    for _idf, where in held:
        for mask, _weight in where:
            anywhere |= mask
    best = 0.0
    while anywhere:
        bit = anywhere & -anywhere
        anywhere ^= bit
        best = max(best, sum(idf * max((w for m, w in where if m & bit), default=0.0) for idf, where in held))
    return best


def _candidates(
    conn: sqlite3.Connection, terms: list[int], category: str | None, limit: int
) -> list[sqlite3.Row]:
    """The ``limit`` best articles by FTS5's bm25 for any of the term ids."""
    match = " OR ".join(f"t{t}" for t in terms)
    if category is not None:
        match = f'({match}) AND category : "{_category_token(category)}"'
    return conn.execute(
        # S608: FTS_WEIGHTS is a constant; the query's words are bound (MATCH ?)
        f"SELECT d.slug, d.terms, d.counts, d.problem, d.sentences, d.len_title, d.len_title_en, d.len_keywords, d.len_body"  # noqa: S608
        f" FROM (SELECT rowid, bm25(search_fts, {FTS_WEIGHTS}) AS score FROM search_fts"
        f"       WHERE search_fts MATCH ? ORDER BY score LIMIT ?) AS f"
        f" JOIN search_docs AS d ON d.rowid = f.rowid",
        (match, limit),
    ).fetchall()


def _rank(
    conn: sqlite3.Connection, groups: list[Group], category: str | None, limit: int, problem: bool = False
) -> list[tuple[str, float]]:
    """FTS5 finds candidates; BM25F with a non-negative idf orders them (see module doc)."""
    info = _lookup_stems(conn, {s for g in groups for s in g})
    groups = [g for g in ({s: w for s, w in g.items() if s in info} for g in groups) if g]
    if not groups:
        return []
    meta = {r[0]: r[1] for r in conn.execute("SELECT name, value FROM search_meta")}
    n = meta.get("documents", 1.0)
    avglen = [meta.get(f"avglen_{f}", 1.0) or 1.0 for f in FIELDS]

    wanted = max(CANDIDATES, limit)
    # Candidates come from each word and its close alternatives; the loose ones (words of
    # like meaning to a word the corpus has) only re-score them: FTS5 stays as fast as before.
    close = [[s for s, w in g.items() if w >= CANDIDATE_WEIGHT] or list(g) for g in groups]
    terms = list(dict.fromkeys(info[s][0] for g in close for s in g))
    dfs = {info[s][0]: info[s][1] for g in close for s in g}
    rare = [t for t in terms if dfs[t] <= n * COMMON_SHARE]
    rows = _candidates(conn, rare, category, wanted) if rare and len(rare) < len(terms) else []
    if len(rows) < wanted:
        rows = _candidates(conn, terms, category, wanted)

    # A group acts as one term (Lucene's SynonymQuery): its idf is that of its most
    # frequent alternative, so a rare look-alike cannot outweigh the word the user meant,
    # and its frequency in a document is the weighted sum of its alternatives'.
    # idf as in Lucene: log(1 + (N - df + 0.5) / (df + 0.5)), never negative.
    weighted = []
    for g in groups:
        df = max(info[s][1] for s in g)
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        if len(groups) >= LONG_QUERY:
            # in a description, a word counted only through stand-ins (a typo fix, a word of
            # like meaning) says less than a word the articles use: "вчера" is not "день"
            idf *= max(g.values())
            # and an everyday word of the language ("вместо", "спросить") says less than its
            # rarity in a small help centre claims; the group's first stem is the word's own
            # (or its likeliest stand-in)
            idf /= (1 + max(0.0, info[next(iter(g))][3] - COMMON_ZIPF)) ** COMMON_POWER
        weighted.append((idf, [(info[s][0], w) for s, w in g.items()]))

    total_idf = sum(idf for idf, _ in weighted) or 1.0
    scored = []
    short = 1 < len(weighted) < LONG_QUERY
    for slug, terms_blob, counts_blob, states_a_problem, masks_blob, *lens in rows:
        ids, counts = _unpack(terms_blob), _unpack(counts_blob)
        masks = _unpack(masks_blob, _U64) if short else None
        norms = [FIELD_WEIGHTS[i] / (1 - FIELD_B[i] + FIELD_B[i] * lens[i] / avglen[i]) for i in range(4)]
        score, matched, matched_idf, in_title, in_title_en = 0.0, 0, 0.0, 0, 0
        held: list[tuple[float, list[tuple[int, float]]]] = []  # per matched group: idf, (sentences, weight)
        for idf, group in weighted:
            tf = 0.0
            where: list[tuple[int, float]] = []
            for term, weight in group:
                at = bisect_left(ids, term)
                if at < len(ids) and ids[at] == term:
                    if masks is not None:
                        where.append((masks[at], weight))
                    c = counts[at]
                    tf += weight * (
                        (c & 255) * norms[0]
                        + (c >> 8 & 255) * norms[1]
                        + (c >> 16 & 255) * norms[2]
                        + (c >> 24) * norms[3]
                    )
                    in_title += c & 255
                    in_title_en += c >> 8 & 255
            if tf:
                score += idf * tf / (K1 + tf)
                matched += 1
                matched_idf += idf
                if short:
                    held.append((idf, where))
        # how much of the title the query covers: "удалить страницу" fits "Как удалить
        # свою страницу" better than "Как восстановить удалённую страницу"
        cover = max(in_title / lens[0] if lens[0] else 0.0, in_title_en / lens[1] if lens[1] else 0.0)
        # the informative share of the query matched: in a several-sentence description the
        # rare words decide, not how many of its everyday words an article happens to contain
        share = (1 - COVER_IDF) * matched / len(weighted) + COVER_IDF * matched_idf / total_idf
        score *= share * (1 + TITLE_COVER * min(cover, 1.0))
        if short:
            score *= 1 + PASSAGE_BONUS * _best_sentence(held) / total_idf
        if problem and states_a_problem:
            score *= 1 + PROBLEM_BONUS
        if score > 0:
            scored.append((-score, slug))
    scored.sort()
    return [(slug, -neg) for neg, slug in scored[:limit]]
