"""Help-centre search: forgiving matching, filters, index lifecycle, hostile input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vksupport_cli.desk import db, helpcenter, search, textnorm
from vksupport_cli.errors import BadInput

from conftest import load_tool

ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = ROOT.parent / "shared" / "help-center" / "articles.jsonl"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One loaded desk for the read-only tests (building the index once keeps the file fast)."""
    conn = db.connect(tmp_path_factory.mktemp("search") / "desk.sqlite3")
    helpcenter.ensure_loaded(conn)
    yield conn
    conn.close()


@pytest.fixture
def conn(tmp_path):
    """A desk of its own, for tests that change the corpus or the index."""
    conn = db.connect(tmp_path / "desk.sqlite3")
    helpcenter.ensure_loaded(conn)
    yield conn
    conn.close()


def top(conn, query, **kwargs):
    results = search.search(conn, query, **kwargs)
    assert results, f"no results for {query!r}"
    return results[0][0]


def slugs(conn, query, **kwargs):
    return [slug for slug, _ in search.search(conn, query, **kwargs)]


def has_something_to_search(query: str) -> bool:
    """The rule for refusing a query: it holds no letter or digit (lone surrogates are neither)."""
    return any(ch.isalnum() for ch in query)


# -- forgiving matching --------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("взломали страницу", "hacked-page"),
        ("Мою страницу взломали", "hacked-page"),  # the title itself
        ("страница взломана", "hacked-page"),
        ("сбросить пароли", "forgot-password"),
        ("удалить альбом", "delete-photos"),
    ],
)
def test_word_forms(shared, query, expected):
    assert top(shared, query) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ("забыл пароь", "forgot-password"),
        ("мошеники обманули", "fraud-scammers"),
        ("фотогарфия не загружается", "photo-upload-errors"),
        ("как создать сообщесвто", "create-community"),
    ],
)
def test_typos(shared, query, expected):
    assert top(shared, query) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ("dpkjvfkb cnhfybwe", "hacked-page"),  # взломали страницу
        ("pf,scn gfhjkm", "forgot-password"),  # забыл пароль: ',' is "б"
        ("Pf,scn GFHJKM", "forgot-password"),  # Caps Lock or Shift on the wrong layout
        ("elfkbnm ajnj", "delete-photos"),  # удалить фото
    ],
)
def test_russian_typed_on_the_latin_layout(shared, query, expected):
    assert top(shared, query) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ("vzlomali stranicu", "hacked-page"),
        ("zabyl parol", "forgot-password"),
        ("udalit stranitsu", "delete-page"),
        ("galochka verifikacii", "verification-tick"),
    ],
)
def test_transliteration(shared, query, expected):
    assert top(shared, query) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ("forgot password", "forgot-password"),
        ("my account was hacked", "hacked-page"),
        ("delete account", "delete-page"),
        ("refund", "refunds"),
    ],
)
def test_english(shared, query, expected):
    assert top(shared, query) == expected


def test_english_typed_on_the_russian_layout(shared):
    assert top(shared, "ащкпще зфыыцщкв") == "forgot-password"  # "forgot password"


def test_a_query_is_read_one_way(shared):
    # Most words of a transliterated query read as transliteration: so does "ne", which the
    # other layout would read as the corpus word "ту".
    assert search.interpret(shared, "ne prihodit kod").interpreted_as == "не приходит код"
    assert search.interpret(shared, "stranitsa ne otkryvaetsya").interpreted_as == "страница не открывается"


def test_a_misspelt_russian_word_is_not_english_on_the_russian_layout(shared):
    # "ж" types ";" on the English layout: "поднержку" would be "gjlyth" + "re", an English stop word.
    found = search.interpret(shared, "не могу написать в поднержку")
    assert found.interpreted_as == "не могу написать в поддержку"
    assert top(shared, "не могу написать в поднержку") == "how-to-ask-support"


def test_a_comma_after_a_word_on_the_latin_layout_may_be_punctuation():
    # "," is the key of "б": "gfhjkm," reads "парольб" or, the comma being punctuation, "пароль".
    assert ("layout", [["парольб", "пароль"]]) in search._readings("gfhjkm,")
    assert ("layout", [["пароль"]]) in search._readings("gfhjkm")
    assert ("layout", [["забыл"]]) in search._readings("pf,sk")  # inside a word it is "б"


def test_scores_are_positive_and_descending(shared):
    results = search.search(shared, "пароль от страницы", limit=20)
    scores = [score for _, score in results]
    assert len(results) > 3
    assert all(score > 0 for score in scores)
    assert scores == sorted(scores, reverse=True)
    assert len({slug for slug, _ in results}) == len(results)


def test_only_stop_words_give_no_results(shared):
    assert search.search(shared, "как и что") == []


def test_unknown_words_give_no_results(shared):
    assert search.search(shared, "ксилофонщщ") == []


# -- category and limit -----------------------------------------------------------


def test_category_filter(shared):
    everywhere = slugs(shared, "пароль", limit=50)
    in_security = slugs(shared, "пароль", category="security", limit=50)
    categories = {
        row["slug"]: row["category"] for row in shared.execute("SELECT slug, category FROM articles")
    }
    assert in_security and all(categories[s] == "security" for s in in_security)
    assert {categories[s] for s in everywhere} > {"security"}
    assert in_security == [s for s in everywhere if categories[s] == "security"]


def test_category_with_dash(shared):
    assert top(shared, "модерация объявления", category="ads-business") == "ad-account-moderation"


@pytest.mark.parametrize(
    "category",
    ["nope", "", "security OR account", '" OR t1 OR "', "x" * 500, "Security", "\ud800", "\x00"],
)
def test_unknown_category_gives_no_results(shared, category):
    assert search.search(shared, "пароль", category=category) == []


def test_limit(shared):
    assert len(search.search(shared, "страница", limit=1)) == 1
    assert len(search.search(shared, "страница", limit=3)) == 3
    assert len(search.search(shared, "страница", limit=100)) <= 100
    many = search.search(shared, "страница", limit=100)
    assert search.search(shared, "страница", limit=5) == many[:5]


@pytest.mark.parametrize("limit", [0, -1, 101, 10**9, True, False, "5", 2.5, None])
def test_bad_limit(shared, limit):
    with pytest.raises(BadInput, match="limit"):
        search.search(shared, "пароль", limit=limit)


def test_bad_category_type(shared):
    with pytest.raises(BadInput):
        search.search(shared, "пароль", category=5)


# -- index lifecycle -------------------------------------------------------------


def article(slug, title, body, **extra):
    return {
        "slug": slug,
        "category": extra.pop("category", "account"),
        "title": title,
        "title_en": "",
        "body": body,
        "tags": [],
        "keywords": [],
        "can_ask": False,
        **extra,
    }


SEARCH_TABLES = (
    "search_fts",
    "search_docs",
    "search_terms",
    "search_words",
    "search_typo",
    "search_near",
    "search_meta",
)


def stored_version(conn):
    row = conn.execute("SELECT value FROM settings WHERE name = 'search_index_version'").fetchone()
    return row[0] if row else None


def add_raw_article(conn):
    """An article written straight to the table, as if behind the index's back."""
    conn.execute(
        "INSERT INTO articles (slug, category, title, body) VALUES ('new-one', 'account', 'Чайник', 'Чайник')"
    )


def test_rebuild_after_a_new_corpus(conn):
    assert top(conn, "взломали страницу") == "hacked-page"
    helpcenter.load(
        conn,
        [
            article("kettle", "Чайник не включается", "Проверьте розетку и шнур чайника."),
            article("toaster", "Тостер сжигает хлеб", "Уменьшите время.", keywords=["гренки"]),
        ],
    )
    assert slugs(conn, "чайник") == ["kettle"]
    assert slugs(conn, "гренки") == ["toaster"]
    assert search.search(conn, "взломали страницу") == []
    assert stored_version(conn) == str(search.INDEX_VERSION)


def test_rebuild_index_stays_inside_the_callers_transaction(conn):
    with pytest.raises(RuntimeError), db.write(conn):
        conn.execute("DELETE FROM articles")
        search.rebuild_index(conn)
        assert conn.in_transaction  # no COMMIT inside
        assert search.search(conn, "взломали страницу") == []
        raise RuntimeError("roll back")
    assert top(conn, "взломали страницу") == "hacked-page"


def test_ensure_index_rebuilds_a_stale_index(conn):
    with db.write(conn):
        conn.execute("UPDATE settings SET value = '0' WHERE name = 'search_index_version'")
        # an older layout of a derived table must not break the rebuild
        conn.execute("DROP TABLE search_docs")
        conn.execute("CREATE TABLE search_docs (slug TEXT, something_else BLOB)")
        add_raw_article(conn)
    search.ensure_index(conn)
    assert stored_version(conn) == str(search.INDEX_VERSION)
    assert slugs(conn, "чайник") == ["new-one"]
    assert top(conn, "взломали страницу") == "hacked-page"


def test_ensure_index_builds_a_missing_index(conn):
    with db.write(conn):
        conn.execute("DELETE FROM settings WHERE name = 'search_index_version'")
        for table in SEARCH_TABLES:
            conn.execute(f"DROP TABLE {table}")
    assert top(conn, "взломали страницу") == "hacked-page"  # search itself ensures the index


def test_ensure_index_leaves_a_current_index_alone(conn):
    with db.write(conn):
        add_raw_article(conn)
    search.ensure_index(conn)  # current version: no rebuild, so the new row is not indexed yet
    assert search.search(conn, "чайник") == []
    with db.write(conn):
        search.rebuild_index(conn)
    assert slugs(conn, "чайник") == ["new-one"]


def test_bundled_corpus_is_the_articles_with_english_titles():
    # Quality comes from the method: no keywords written after queries, only each article's
    # own English title beside the shared corpus's text.
    articles = helpcenter.read_articles(helpcenter.bundled_corpus())
    assert len(articles) == 80
    assert all(a["title_en"] and a["keywords"] == [] for a in articles)
    for a in articles:
        assert a["title_en"] == a["title_en"].strip() and a["title_en"].isascii(), a["slug"]


@pytest.mark.parametrize("corpus", ["shared", "bundled"])
def test_the_english_vocabulary_translates_every_word_of_the_articles(corpus):
    # tools/data/vocabulary_en.tsv gives the lexicon the help centre's vocabulary: it must
    # cover every Russian word `build_lexicon.py --vocabulary` lists for the original articles
    # (../shared/help-center) and the shipped ones (the same Russian text), or it went stale
    # when the articles changed.
    tool = load_tool("build_lexicon")
    path = SHARED_CORPUS if corpus == "shared" else helpcenter.bundled_corpus()
    articles = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    words = tool.vocabulary(articles)
    entries = tool.read_vocabulary()
    assert len(words) > 1000
    assert [w for w in words if w not in entries] == []
    assert all(1 <= len(english) <= 5 for english in entries.values())
    assert tool.read_vocabulary()["восстановить"][:2] == ["restore", "recover"]


# -- meaning: dictionary forms, words of like meaning, long descriptions ----------------


@pytest.fixture
def small(tmp_path):
    """A desk whose help centre is a few articles written for one test."""
    conn = db.connect(tmp_path / "small.sqlite3")
    yield conn
    conn.close()


def test_forms_snowball_splits_share_one_dictionary_word(small):
    # Snowball stems "друзья" to "друз" and "людей" to "люд": only the dictionary (pymorphy3)
    # knows they are "друг" and "человек".
    helpcenter.load(
        small,
        [
            article("invite", "Как пригласить друга", "Отправьте другу ссылку-приглашение."),
            article(
                "block", "Как заблокировать человека", "Откройте страницу человека и нажмите «Заблокировать»."
            ),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert slugs(small, "пригласить друзей") == ["invite"]
    assert top(small, "заблокировать людей") == "block"
    assert slugs(small, "друзья") == ["invite"]


def test_another_form_of_a_corpus_word_is_known_as_typed(small):
    helpcenter.load(small, [article("people", "Люди", "Что делать, если человек пишет вам.")])
    words = dict(small.execute("SELECT word, stem FROM search_words").fetchall())
    assert words["человеком"] == words["человек"] == words["люди"]  # every form, one term


def test_did_you_mean_rewrites_typos_not_everyday_words_english_phrases_or_descriptions(small):
    helpcenter.load(
        small,
        [
            article("rights", "Авторские права", "Ваши права на фото защищены."),
            article("album", "Как создать новый альбом", "Нажмите «Создать альбом» и добавьте фото."),
            article("hours", "Расписание поддержки", "Поддержка отвечает по расписанию, без выходных."),
        ],
    )
    # a typo is shown corrected; an everyday word no article has is searched through its
    # look-alike ("правда" → "права") but was meant as typed
    assert search.interpret(small, "права защишены").interpreted_as == "права защищены"
    assert search.interpret(small, "правда").interpreted_as is None
    # one English word is shown as the Russian word it was searched as; a phrase is not
    # rewritten word by word into a Russian-English jumble ("create a новый album")
    assert search.interpret(small, "create a new album").interpreted_as is None
    assert slugs(small, "create a new album")[0] == "album"
    # a description keeps its words but for its typos: "график" alone is shown as what was
    # searched ("расписание"); inside several sentences it is not, a typo still is
    assert search.interpret(small, "график").interpreted_as == "расписание"
    described = search.interpret(small, "какой у поддержки график работы, отвечают ли ночью и в выходныи")
    assert described.interpreted_as == "какой у поддержки график работы отвечают ли ночью и в выходных"


def test_a_word_in_no_article_finds_the_article_of_its_nearest_word(small):
    # "график" is in no article; navec's vectors (tools/build_thesaurus.py) put "расписание"
    # next to it, and the search says what it looked for.
    helpcenter.load(
        small,
        [
            article("hours", "Расписание поддержки", "Поддержка отвечает по расписанию, без выходных."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    found = search.interpret(small, "график")
    assert [slug for slug, _ in found.hits] == ["hours"]
    assert found.interpreted_as == "расписание"


def test_a_paraphrase_counts_through_the_nearest_words(small):
    # Both words of the query are in the other article; "сменить", the nearest word to
    # "поменять", makes the article about avatars the one that matches the whole query.
    helpcenter.load(
        small,
        [
            article(
                "avatar", "Как сменить аватарку", "Откройте профиль и нажмите на фото, чтобы сменить его."
            ),
            article(
                "name",
                "Имя",
                "Имя можно поменять раз в месяц, а поменять имя рядом с аватаркой — в настройках.",
            ),
        ],
    )
    assert top(small, "поменять аватарку") == "avatar"


def test_a_long_description_ranks_by_its_informative_words(small):
    # Greetings and pleas are no topic: the everyday words of a long description must not
    # outweigh the one article its rare words name.
    helpcenter.load(
        small,
        [
            article("password", "Как сменить пароль", "Откройте настройки и смените пароль."),
            article(
                "hours",
                "Когда отвечает поддержка",
                "Добрый день! Поддержка отвечает в течение дня, заранее спасибо за терпение. Здравствуйте!",
            ),
        ],
    )
    query = (
        "Здравствуйте! Добрый день. Подскажите, как сменить пароль, что мне теперь делать? Заранее спасибо"
    )
    assert slugs(small, query) == ["password"]


def test_everyday_words_of_a_description_weigh_less_than_its_specific_ones(small):
    # In this help centre "вчера", "снова", "спросить" and "вместо" are as rare as "оператор":
    # the corpus's idf alone ranks the article with four of the description's words first.
    # How common they are in Russian at large (data/frequency.tsv, from wordfreq) says they
    # are everyday words: the article about the number the operator cut off comes first.
    helpcenter.load(
        small,
        [
            article(
                "phone",
                "Нет доступа к телефону",
                "Если оператор отключил номер, войдите через форму восстановления доступа.",
            ),
            article(
                "request",
                "Повторная заявка",
                "Вместо старой заявки вчера можно было снова спросить и подать новую.",
            ),
        ],
    )
    query = "Вчера хотел снова спросить, но вместо этого мне номер отключил оператор"
    assert slugs(small, query) == ["phone", "request"]
    zipf = dict(small.execute("SELECT stem, zipf FROM search_terms").fetchall())
    assert zipf["вчер"] > search.COMMON_ZIPF > zipf["оператор"]
    assert zipf["заявк"] < search.COMMON_ZIPF


def test_many_everyday_words_of_a_description_do_not_outvote_its_topic(small):
    # Six everyday words ("сегодня", "утром", "снова", "вчера", "вечером", "сразу") of a
    # description are all in the article about music: divided by 1 + Zipf - COMMON_ZIPF alone,
    # each still kept half its weight or more and together they outvoted "подписка" and
    # "отменить". Discounted steeper (COMMON_POWER), the subscription comes first.
    helpcenter.load(
        small,
        [
            article(
                "subscription",
                "Отмена подписки",
                "Подписку можно отменить в настройках: деньги за оплаченный месяц вернутся в течение двух недель.",
            ),
            article(
                "music",
                "Музыка не играет",
                "Если сегодня утром музыка не играет, а вчера вечером сразу включалась, снова войдите в приложение.",
            ),
            article("friends", "Как добавить друга", "Найдите человека и нажмите «Добавить в друзья»."),
        ],
    )
    query = "Сегодня утром снова, как и вчера вечером, сразу пропала подписка, как отменить"
    assert slugs(small, query) == ["subscription", "music"]


def test_an_english_query_finds_russian_articles_through_the_lexicon(small):
    # No article has an English word: the lexicon (tools/build_lexicon.py, from the project's
    # parallel text and English vocabulary) carries "delete" to "удалить" and "page" to "страница".
    helpcenter.load(
        small,
        [
            article(
                "delete", "Как удалить свою страницу", "Откройте настройки и нажмите «Удалить страницу»."
            ),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert top(small, "how to delete my page") == "delete"
    assert slugs(small, "delete") == ["delete"]


def test_an_english_word_finds_the_russian_word_borrowed_from_it(small):
    # Neither "identification" nor "optimization" is in the lexicon (no shipped article has
    # them), and transliteration reads them "идентификатион", "оптимизатион": Russian
    # borrowed them with an ending of its own.
    helpcenter.load(
        small,
        [
            article("identity", "Идентификация", "Для идентификации нужен паспорт."),
            article("speed", "Оптимизация фотографий", "Оптимизация уменьшает размер файла."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert slugs(small, "identification") == ["identity"]
    assert slugs(small, "optimization") == ["speed"]
    assert search.interpret(small, "optimization").interpreted_as == "оптимизация"  # what it searched for
    assert textnorm.english_cognates("verification")[0] == "верификация"


def test_a_function_word_is_never_a_translation(small):
    # lexicon.tsv: "machin" → "машин" 0.51, "этот" 0.25: aligned (in the CLI's catalogue) with
    # "этой", a form of "этот", a function word, which is no more a translation than a
    # thesaurus neighbour.
    helpcenter.load(
        small,
        [
            article("car", "Машина не заводится", "Эта машина стоит во дворе."),
            article("this", "Эта страница", "На этой странице нет ничего об этом."),
        ],
    )
    rows = small.execute("SELECT stem, near FROM search_near WHERE stem = 'machin'")
    assert {tuple(row) for row in rows} == {("machin", "машин")}
    assert slugs(small, "machine") == ["car"]


def test_a_clipped_or_prefixed_word_finds_the_word_it_comes_from(small):
    # No article has "админ" or "пересоздать", no dictionary relates them, and no synonym
    # list names them: the corpus words they begin with, or are a prefixed form of, do.
    helpcenter.load(
        small,
        [
            article("admins", "Администраторы сообщества", "Администратор назначает редакторов."),
            article("chat", "Как создать беседу", "Нажмите «Создать беседу» и добавьте участников."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото» в сообществе."),
        ],
    )
    assert slugs(small, "админ") == ["admins"]
    assert slugs(small, "пересоздать") == ["chat"]
    assert search.interpret(small, "админ").interpreted_as == "администратор"
    assert search.interpret(small, "пересоздать беседу").interpreted_as == "создать беседу"


def test_a_prefixed_verb_of_a_corpus_stem_finds_it(small):
    # "залогиниться": no article has "логиниться" in any form, but its stem "логин" is a
    # corpus term: the word less its prefix still leads there.
    helpcenter.load(
        small,
        [
            article("login", "Не получается войти", "Проверьте логин и пароль."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert slugs(small, "залогиниться") == ["login"]


def test_a_slang_word_finds_the_article_its_dictionary_gloss_names(small):
    # Navec's news vectors relate "кинуть" only to "бросить", "швырнуть"; Wiktionary glosses
    # its slang sense "[[обмануть]]" (tools/build_glosses.py). "кинули" reaches it through
    # the thesaurus's form table (its Snowball stem "кинул" is not "кинут", its dictionary form's).
    helpcenter.load(
        small,
        [
            article("fraud", "Меня обманули", "Если вас обманули мошенники, напишите нам."),
            article("password", "Как сменить пароль", "Откройте настройки безопасности."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert slugs(small, "кинули") == ["fraud"]
    assert slugs(small, "кинуть") == ["fraud"]


def test_an_inflected_slang_word_finds_its_gloss(small):
    # "виснет": Snowball keeps "виснет", the gloss is keyed by "виснуть"'s "виснут"; the gloss
    # table points the form's stem to its word's (pymorphy3's forms, at build time).
    helpcenter.load(
        small,
        [
            article("freeze", "Приложение зависает", "Если приложение зависает, перезапустите его."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert slugs(small, "виснет") == ["freeze"]
    assert slugs(small, "виснуть") == ["freeze"]


def test_a_slang_verb_pymorphy3_lacks_finds_its_gloss_in_any_form(small):
    # pymorphy3's dictionary has no "лайкнуть"; the forms it predicts ("лайкнули", whose
    # Snowball stem is "лайкнул") point to the glossed "лайкнут" ("[[лайк]]").
    helpcenter.load(
        small,
        [
            article("likes", "Как поставить лайк", "Нажмите на сердечко, чтобы поставить лайк записи."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert slugs(small, "лайкнули") == ["likes"]


def test_a_verb_finds_the_noun_of_its_family(small):
    # "подтвердить" and "подтверждение": Snowball ("подтверд", "подтвержден") and the
    # dictionary forms leave them apart, navec's vectors only 0.39 alike; a long shared
    # beginning with vectors that alike is a word family (tools/build_thesaurus.py).
    helpcenter.load(
        small,
        [
            article("code", "Не приходит код подтверждения", "Код подтверждения приходит в СМС."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert slugs(small, "подтвердить") == ["code"]


def test_a_listed_slang_word_is_meant_as_typed(small):
    # "бабки" is one edit from "банки" and "прога" begins "проголосовать"; both are slang the
    # synonym list knows ("деньги", "приложение"): no look-alike stands in for them
    helpcenter.load(
        small,
        [
            article("banks", "Банки-партнёры", "Список банков для оплаты."),
            article("money", "Как вывести деньги", "Деньги выводятся на карту."),
            article("vote", "Как проголосовать", "Проголосовать можно в опросе."),
            article("app", "Приложение не запускается", "Переустановите приложение."),
        ],
    )
    assert top(small, "бабки") == "money"
    assert top(small, "прога") == "app"
    # "did you mean" names the word of like meaning searched for, if any, never the look-alike
    assert search.interpret(small, "бабки").interpreted_as == "деньги"  # data/variants.tsv
    assert search.interpret(small, "прога").interpreted_as == "приложение"


def test_a_short_stem_of_a_longer_word_is_no_clip(small):
    # Snowball cuts "палит" to "пал": "пальцем" begins so but is no kin; only a word that is
    # itself that short ("акк") is read as a clipped one.
    helpcenter.load(
        small,
        [
            article("finger", "Вход по отпечатку", "Приложите палец к сканеру, держите пальцем."),
            article("account", "Аккаунт", "Настройки аккаунта."),
        ],
    )
    assert slugs(small, "палит") == []
    assert slugs(small, "акк") == ["account"]


def test_a_word_of_its_own_is_not_taken_for_a_form_of_another(small):
    # "подлиннее" is a form of "длинный", so its stem "подлин" is an alias of "длин" (whose
    # neighbours are "короткий", "ширина"); but "подлин" is first the stem of "подлинный"
    # (genuine), a word with neighbours of its own: it never stands for "короткий".
    helpcenter.load(
        small,
        [
            article("short", "Короткий адрес страницы", "Задайте короткий адрес вместо номера."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert "short" not in slugs(small, "подлинный документ")
    assert search.interpret(small, "подлинный документ").interpreted_as is None


def test_a_query_saying_something_does_not_work_prefers_the_article_that_says_so(small):
    # "не" is a stop word; an article whose title states a problem ("... не зачислены") is
    # preferred for a query that states one, a how-to article for one that does not
    helpcenter.load(
        small,
        [
            article("get", "Голоса: как их получить", "Голоса покупают в настройках, в разделе платежей."),
            article("credited", "Голоса не зачислены", "Подождите час и проверьте историю платежей."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert slugs(small, "голоса не упали")[0] == "credited"
    assert slugs(small, "голоса упали")[0] == "get"
    for problem in ("votes did not arrive", "it doesn't work", "why can’t I message her", "app doesnt open"):
        assert search._states_a_problem(problem), problem
    assert search._states_a_problem("денег нету") and not search._states_a_problem("how to buy votes")


def test_an_adjective_in_ochn_finds_its_noun_and_verb(small):
    # Snowball stems "проверочный" to "проверочн", "проверка" to "проверк", "проверить" to
    # "провер": three letters apart, too far for _related; _DERIVED joins them.
    helpcenter.load(
        small,
        [
            article("check", "Проверка страницы", "Чтобы пройти проверку, проверьте номер."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото»."),
        ],
    )
    assert slugs(small, "проверочный") == ["check"]


def test_a_verb_finds_the_noun_made_from_it_and_back(small):
    # Snowball stems "монетизировать" to "монетизирова" and "монетизация" to "монетизац", and
    # pymorphy3 relates no verb to its noun: the suffixes of borrowed verbs and their nouns do.
    helpcenter.load(
        small,
        [
            article("money", "Монетизация сообщества", "Подключите монетизацию в управлении."),
            article("ads", "Объявление", "Модераторы модерируют объявления за сутки."),
            article("photos", "Как загрузить фотографии", "Нажмите «Добавить фото» в сообществе."),
        ],
    )
    assert slugs(small, "монетизировать") == ["money"]
    assert slugs(small, "монетизируют") == ["money"]  # the present tense's stem: "монетизир"
    assert slugs(small, "модерация") == ["ads"]
    assert search._derived(small, "верифицирова") == []  # no such noun in the corpus: nothing


def test_other_is_not_friend(small):
    # "другой" and "друг" share the Snowball stem "друг": "другой" is a stop word.
    helpcenter.load(
        small,
        [
            article("friend", "Как добавить друга", "Отправьте заявку в друзья."),
            article("problem", "Сообщить о проблеме", "Опишите проблему."),
        ],
    )
    assert slugs(small, "другая проблема") == ["problem"]


def test_interpreted_as_says_what_was_searched_for(shared):
    assert search.interpret(shared, "взломали страницу").interpreted_as is None  # taken as typed
    assert search.interpret(shared, "dpkjvfkb cnhfybwe").interpreted_as == "взломали страницу"
    assert search.interpret(shared, "как удалить фотогарфию").interpreted_as == "как удалить фотографию"
    # "профил" stems to "проф", a clip Wiktionary glosses: far stand-ins do not outvote the typo
    assert search.interpret(shared, "как закрыть профил").interpreted_as == "как закрыть профиль"
    assert search.interpret(shared, "vzlomali stranicu").interpreted_as == "взломали страницу"
    assert search.interpret(shared, "ксилофонщщ").interpreted_as is None  # nothing found: nothing to say


def test_interpreted_as_in_json_and_in_human_output(sandbox):
    from cli_support import subprocess_run

    typed = subprocess_run("search-help", "dpkjvfkb cnhfybwe", "--json")
    assert typed.code == 0, typed.stderr
    hits = typed.json()
    assert hits[0]["slug"] == "hacked-page"
    assert {hit["interpreted_as"] for hit in hits} == {"взломали страницу"}
    plain = subprocess_run("search-help", "взломали страницу", "--json").json()
    assert plain[0]["interpreted_as"] is None
    human = subprocess_run("search-help", "dpkjvfkb cnhfybwe")
    assert human.code == 0, human.stderr
    assert "Showing results for: взломали страницу" in human.stdout
    assert "Showing results for" not in subprocess_run("search-help", "взломали страницу").stdout


# -- hostile and malformed input ---------------------------------------------------


EMPTY = [
    "",
    " ",
    "   \t\n ",
    "!!!",
    "?",
    "...",
    "—",
    "«»",
    "\x00",
    "\x00\x01\x02",
    "\u200b\u200b",
    "\ufeff",
    "_",
    "__ __",
]


@pytest.mark.parametrize("query", EMPTY)
def test_nothing_to_search_for(shared, query):
    with pytest.raises(BadInput, match="Type a few words"):
        search.search(shared, query)


#: (hostile query, the plain words it must be read as); None: nothing to search for.
HOSTILE = [
    ('"', None),
    ('"""', None),
    ('"пароль', "пароль"),
    ('пароль"', "пароль"),
    ("пароль*", "пароль"),
    ("*", None),
    ("^пароль", "пароль"),
    ("пароль^", "пароль"),
    ("title:пароль", "title пароль"),
    ("body : пароль", "body пароль"),
    ("title_en:password", "title en password"),
    ("{title body}: пароль", "title body пароль"),
    ("- пароль", "пароль"),
    ("+пароль", "пароль"),
    ("(пароль", "пароль"),
    ("пароль)", "пароль"),
    ("((( )))", None),
    ("AND", "and"),
    ("OR", "or"),
    ("NOT", "not"),
    ("NEAR", "near"),
    ("NEAR(пароль страница, 2)", "near пароль страница 2"),
    ("пароль AND страница", "пароль and страница"),
    ("пароль OR", "пароль or"),
    ("NOT пароль", "not пароль"),
    ("a AND OR NOT b", "a and or not b"),
    ("пароль NEAR/2 страница", "пароль near 2 страница"),
    ("'; DROP TABLE articles; --", "drop table articles"),
    ("пароль\x00страница", "пароль страница"),
    ("пароль\x1b[31m", "пароль 31m"),
    ("\ud800", None),  # a lone surrogate is no letter
    ("пароль \udfff", "пароль"),
    ("🔥🔥🔥", None),
    ("пароль 🔥", "пароль"),
    ("\u202eпароль", "пароль"),
    ("t1", "t1"),
    ("t1 OR t2", "t1 or t2"),
    ("c6163636f756e74", "c6163636f756e74"),
    ("ﬁ ﬂ ㎏", "ﬁ ﬂ ㎏"),
    ("١٢٣", "١٢٣"),
    ("漢字 かな", "漢字 かな"),
    ("𞤀𞤁 a𞤀b", "𞤀𞤁 a𞤀b"),
    ("x" * 10_000, "x" * search.MAX_QUERY_CHARS),  # the rest is cut off
    ("пароль " * 2_000, "пароль"),
    ("a " * 5_000, "a"),
    (" ".join(["gfhjkm"] * 300), "gfhjkm"),
    ("ё" * 600, "ё" * search.MAX_QUERY_CHARS),
    ("1234567890", "1234567890"),
    ("id123456789", "id123456789"),
]


@pytest.mark.parametrize("query, plain", HOSTILE, ids=lambda v: repr(v[:24]) if isinstance(v, str) else "-")
def test_hostile_text_is_never_fts_syntax(shared, query, plain):
    """Syntax, controls and junk are refused when nothing is left, else read as the plain words."""
    if plain is None:
        with pytest.raises(BadInput, match="Type a few words"):
            search.search(shared, query)
        return
    assert search.search(shared, query) == search.search(shared, plain)
    if "пароль" in plain:
        assert "forgot-password" in slugs(shared, query)


def test_syntax_characters_are_just_separators(shared):
    assert top(shared, '"взломали" AND (страницу*)') == "hacked-page"
    assert top(shared, "взломали NOT страницу^ OR") == "hacked-page"
    # "title" and "near" are no column filter and operator but English words, which the lexicon
    # translates ("название", "рядом") as anywhere in a query
    assert search.search(shared, "title:взломали NEAR страницу^") == search.search(
        shared, "title взломали near страницу"
    )


def test_database_survives_hostile_text(shared):
    search.search(shared, "'; DROP TABLE articles; --")
    assert shared.execute("SELECT count(*) FROM articles").fetchone()[0] == 80


@pytest.mark.parametrize("query", [None, 42, 4.2, b"parol", ["пароль"], {"q": 1}])
def test_query_must_be_text(shared, query):
    with pytest.raises(BadInput):
        search.search(shared, query)


_ANY_CHAR = st.characters(exclude_categories=())  # surrogates and controls included
_SYNTAX = st.sampled_from(
    [
        '"',
        "*",
        "^",
        ":",
        "(",
        ")",
        "{",
        "}",
        "-",
        "+",
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "NEAR(",
        ",",
        "\x00",
        "пароль",
        "взломали",
        "gfhjkm",
        "stranicu",
        "title",
        "body",
        "t1",
        "c61",
        "ё",
        " ",
        "\n",
    ]
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    query=st.one_of(
        st.text(alphabet=_ANY_CHAR, max_size=300),
        st.lists(_SYNTAX, max_size=40).map("".join),
        st.lists(st.one_of(_SYNTAX, st.text(alphabet=_ANY_CHAR, max_size=8)), max_size=30).map(" ".join),
    ),
    category=st.one_of(
        st.none(), st.sampled_from(["security", "ads-business"]), st.text(alphabet=_ANY_CHAR, max_size=20)
    ),
    limit=st.integers(min_value=1, max_value=100),
)
def test_any_text_gives_results_or_is_refused_for_having_no_words(shared, query, category, limit):
    if not has_something_to_search(query):
        with pytest.raises(BadInput, match="Type a few words"):
            search.search(shared, query, category=category, limit=limit)
        return
    results = search.search(shared, query, category=category, limit=limit)
    assert len(results) <= limit
    assert all(score > 0 for _, score in results)
    assert len({slug for slug, _ in results}) == len(results)


def test_a_sentence_holding_the_query_words_beats_the_same_words_scattered(small):
    # both articles have the same words once each; one says "перевести деньги мошеннику" in
    # one sentence
    helpcenter.load(
        small,
        [
            article(
                "scattered",
                "Обман в сети",
                "Мошенник пишет первым. Деньги храните на карте. Перевести заявку можно в чат.",
            ),
            article(
                "together",
                "Обман в сети",
                "Пишет первым. Заявку храните на карте. Перевели деньги мошеннику в чат.",
            ),
        ],
    )
    assert slugs(small, "перевела деньги мошеннику")[0] == "together"
    # a description of several sentences is held by no one sentence of an article: no bonus
    scores = dict(search.search(small, "мошенник пишет первым, деньги храните, перевести заявку в чат"))
    assert scores["scattered"] == pytest.approx(scores["together"])


def test_worker_processes_build_the_same_index_as_one_process(tmp_path):
    # a fresh interpreter: one thread, so the build may fork (``search._parallel_workers``)
    script = """
import sys
from vksupport_cli.desk import db, helpcenter, search

conn = db.connect(sys.argv[1])
helpcenter.ensure_loaded(conn)  # 80 articles: built in this process
tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'search%'")]

def dump():
    return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in tables}

alone = dump()
search.PARALLEL_MIN, search.PARALLEL_CHUNK = 1, 7  # 12 chunks, some of them ahead
workers = search._parallel_workers(80)
assert workers >= 1, "this machine cannot build in worker processes"
with db.write(conn):
    search.rebuild_index(conn)
assert dump() == alone
print("workers", workers)
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "desk.sqlite3")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("workers ")


def test_an_article_is_found_by_what_other_articles_say_where_they_refer_to_it(small):
    # "плашка" is no word of "badge": the article that sends its reader there says it
    helpcenter.load(
        small,
        [
            article("badge", "Как получить значок автора", "Заполните заявку в настройках профиля."),
            article(
                "levels",
                "Уровни автора",
                "Уровень растёт с числом записей.\n\nХотите плашку и деньги? Прочитайте статью «Как получить значок автора».",
            ),
            article("rules", "Правила для авторов", "Плашку за спам не дают."),
        ],
    )
    assert search._references(small) == {"badge": ["Хотите плашку и деньги? Прочитайте"]}
    assert "badge" in slugs(small, "плашка")
    # an everyday word of the reference carries nothing to it
    assert "badge" not in slugs(small, "деньги")
    # a quote that is no other article's title, or names the article itself, refers to nothing
    helpcenter.load(
        small,
        [
            article(
                "badge",
                "Как получить значок автора",
                "Нажмите «Значок» в статье «Как получить значок автора».",
            ),
            article("levels", "Уровни автора", "Плашку даёт статья «Правила для гостей»."),
        ],
    )
    assert search._references(small) == {}


def test_a_word_people_use_for_a_corpus_word_finds_it_in_any_form(small):
    # data/variants.tsv: "настучать" (colloquial) for "пожаловаться"; "настучали" is a form of
    # it whose Snowball stem is not its dictionary form's
    helpcenter.load(
        small,
        [
            article("complain", "Как пожаловаться на сообщество", "Откройте меню и выберите «Пожаловаться»."),
            article("rename", "Как переименовать сообщество", "Откройте настройки сообщества."),
        ],
    )
    assert slugs(small, "настучать на сообщество")[0] == "complain"
    results = search.interpret(small, "настучали на сообщество")
    assert results.hits[0][0] == "complain"
    assert results.interpreted_as == "пожаловаться на сообщество"


def test_a_translation_whose_term_a_stop_word_shares_counts_where_a_content_word_has_it(small):
    # "друг" is the stem of "другой" (a stop word) and of "друзья": "friend" → "друг" counts,
    # because the corpus's "друг" comes from a content word
    helpcenter.load(
        small,
        [
            article(
                "friends", "Как добавить друга", "Откройте страницу человека и нажмите «Добавить в друзья»."
            ),
            article("other", "Другие настройки", "Прочие параметры страницы."),
        ],
    )
    assert slugs(small, "my friend") == ["friends"]
