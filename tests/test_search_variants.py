"""data/variants.tsv, the words people use for the help centre's words: its shape, and that
every headword is a lemma of the articles (tools/corpus_lemmas.py over the bundled corpus)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from conftest import load_tool

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ROOT / "vksupport_cli" / "desk" / "data" / "variants.tsv"
ARTICLES = ROOT / "vksupport_cli" / "desk" / "data" / "articles.jsonl"
WORD = re.compile(r"^[а-я]+$")


@cache
def corpus_lemmas() -> frozenset[str]:
    tool = load_tool("corpus_lemmas")
    return frozenset(tool.corpus_lemmas(tool.read_articles(ARTICLES)))


def entries() -> list[tuple[int, str, list[str]]]:
    lines = VARIANTS.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#"), "the first line says what the file is"
    parsed = []
    for number, line in enumerate(lines[1:], start=2):
        assert not line.startswith("#") and line.strip(), f"line {number}: a comment or a blank line"
        head, tab, rest = line.partition("\t")
        assert tab and head and rest, f"line {number} is not lemma<TAB>word, word, ...: {line!r}"
        parsed.append((number, head, rest.split(", ")))
    return parsed


def test_corpus_lemmas_are_dictionary_forms_without_stop_words():
    lemmas = corpus_lemmas()
    assert 1200 < len(lemmas) < 1500
    assert {"страница", "пароль", "войти", "сообщество", "заблокировать"} <= lemmas
    assert not lemmas & {"страницу", "паролем", "который", "быть"}  # inflected forms, stop words


def test_every_line_parses_and_every_headword_is_a_corpus_lemma():
    parsed = entries()
    assert len(parsed) > 200
    heads = [head for _, head, _ in parsed]
    assert len(heads) == len(set(heads)), "a headword has one line"
    assert heads == sorted(heads)
    strangers = [head for head in heads if head not in corpus_lemmas()]
    assert not strangers, f"headwords no article has as a lemma: {strangers}"


def test_variants_are_single_words_and_no_headword_lists_itself():
    for number, head, variants in entries():
        assert 1 <= len(variants) <= 6, f"line {number}: {len(variants)} variants"
        assert len(variants) == len(set(variants)), f"line {number}: a variant twice"
        for variant in variants:
            assert variant.strip(), f"line {number}: an empty variant"
            assert WORD.match(variant), f"line {number}: {variant!r} is not one lowercase Russian word"
            assert "ё" not in variant
            assert variant != head, f"line {number}: {head!r} lists itself"
