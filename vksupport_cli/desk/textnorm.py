"""Text normalisation for the help-centre search: one place that turns text into terms.

The same functions serve the index (article text) and the query (user text), so
both sides always agree on what a "term" is:

- ``words(text)``: NFKC, lowercase, ё→е, markdown and punctuation dropped, Latin
  look-alikes inside Cyrillic words repaired, English "sign in"/"sign up" joined
  (``phrasal``); returns surface words.
- ``stem(word)``: Snowball (PyStemmer) Russian for Cyrillic words, English for
  Latin ones, other words unchanged. Russian inflects heavily ("взломали",
  "взлом", "взлома"), and the stem is what the index stores.
- ``STOP_WORDS``: function words in both languages (plus help-desk filler such as
  "помогите"); they carry no topic and would match nearly every article.
- ``SYNONYMS`` / ``synonyms``: slang and everyday synonyms of the domain
  ("учетка", "паблик", "фотка"), which no stemmer relates. None is taken from a
  query set: the search relates words no article has by method (thesaurus,
  lexicon, clipped and prefixed words), not by listing them here.
- ``from_layout`` / ``to_layout``: Russian typed with the English keyboard layout
  ("dpkjv" → "взлом") and the reverse.
- ``translit_variants``: Latin transliteration back to Cyrillic ("stranicu" →
  "страницу"); several spellings are produced because transliteration is
  ambiguous (c → ц/к, y → ы/й, e → е/э), and the search keeps whichever the
  index knows.
- ``english_cognates``: the Russian words an English word was borrowed as
  ("registration" → "регистрация"): its ending by a table of borrowed endings, the rest
  spelt by sound.
- ``osa_distance``: edit distance with adjacent transpositions, to confirm typo
  candidates.

Only the standard library and PyStemmer are imported, and the stemmers are built
on first use, so importing this module stays cheap for a one-query CLI process.
pymorphy3 (``lemma``, ``term``, ``forms``) is loaded only by the index build: a
query finds every form of the corpus's words in the index.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pymorphy3
    import Stemmer

# -- normalising -------------------------------------------------------------

#: Markdown link targets would leak URL fragments into words; every other markdown
#: mark (emphasis, headings, lists) is punctuation, a separator anyway.
_MD_LINK = re.compile(r"\]\([^)\s]*\)")
_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")
_ONLY_CYRILLIC = re.compile(r"^[а-я]+$")
_ONLY_LATIN = re.compile(r"^[a-z]+$")

#: Latin letters that look like Cyrillic ones; a word mixing both scripts is
#: almost always a Cyrillic word with a look-alike typed by mistake (or on purpose,
#: by spammers).
_HOMOGLYPHS = str.maketrans("aeopcxykmthb", "аеорсхукмтнв")


#: English phrasal verbs whose particle carries the meaning ("sign in" vs "sign up");
#: joined into one word before "in" and "up" are dropped as stop words.
_PHRASAL = [
    (re.compile(r"\b(?:log|logged|logging|sign|signed|signing)[ -]?(?:in|into|on)\b", re.I), "login"),
    (re.compile(r"\b(?:sign|signed|signing)[ -]?up\b", re.I), "signup"),
    (re.compile(r"\b(?:log|logged|logging|sign|signed|signing)[ -]?(?:out|off)\b", re.I), "logout"),
]


def phrasal(text: str) -> str:
    """ "sign in", "logged into" → "login"; "sign up" → "signup"; "log out" → "logout"."""
    lowered = text.lower()  # substring tests are much cheaper than a case-blind regex scan
    if "sign" in lowered or "log" in lowered:
        for pattern, word in _PHRASAL:
            text = pattern.sub(word, text)
    return text


def normalize(text: str) -> str:
    """NFKC, lowercase, ё→е, link targets removed; keeps separators for ``words``."""
    text = unicodedata.normalize("NFKC", text)
    text = _MD_LINK.sub("] ", text)
    return phrasal(text.lower().replace("ё", "е"))


def words(text: str) -> list[str]:
    """The surface words of ``text`` after normalisation (letters and digits only)."""
    text = normalize(text)
    found = _WORD.findall(text)
    if not (_LATIN.search(text) and _CYRILLIC.search(text)):
        return found  # one script only: nothing to repair
    repaired = {
        word: word.translate(_HOMOGLYPHS)
        for word in set(found)  # each distinct word once
        if not word.isascii() and _LATIN.search(word) and _CYRILLIC.search(word)
    }
    return list(map(repaired.get, found, found)) if repaired else found


# -- stemming ----------------------------------------------------------------


@cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    import Stemmer  # PyStemmer: a C extension, imported on first use

    return Stemmer.Stemmer(language, 50_000)


def stem(word: str) -> str:
    """Snowball stem: Russian for Cyrillic words, English for Latin, others as they are."""
    if _ONLY_CYRILLIC.match(word):
        return _stemmer("russian").stemWord(word)
    if _ONLY_LATIN.match(word):
        return _stemmer("english").stemWord(word)
    return word


@lru_cache(maxsize=1)
def _morph() -> (
    pymorphy3.MorphAnalyzer
):  # pymorphy3's analyzer: ~0.2 s to load its dictionaries, so only the index build does
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


#: pymorphy3 tags of proper names: a name is its own term, never a dictionary word's.
NAME_TAGS = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str | None:
    """The dictionary form of a Russian word pymorphy3 knows ("друзья" → "друг"), else None."""
    if not _ONLY_CYRILLIC.match(word):
        return None
    parses = _morph().parse(word)
    parse = parses[0]
    if not parse.is_known:
        return None
    if parse.tag.POS in _ADJECTIVES:
        # "удалённый", "забыт": an adjective or a participle; the verb joins them to "удалить"
        for other in parses[1:4]:
            if other.tag.POS in _VERBAL and other.score >= 0.2:
                parse = other
                break
    return parse.normal_form.replace("ё", "е")


_ADJECTIVES = frozenset({"ADJF", "ADJS"})
_VERBAL = frozenset({"PRTF", "PRTS", "VERB", "INFN", "GRND"})


def term(word: str) -> str:
    """The index term of a word: the stem of its dictionary form, so that every form of a word
    shares one term even where Snowball splits them ("покупок"/"покупка", "друзья"/"друг",
    "людей"/"человек"); words pymorphy3 does not know keep their own stem."""
    base = lemma(word)
    return stem(base if base else word)


def forms(word: str) -> list[str]:
    """Every inflected form of the dictionary word ``word`` (pymorphy3's lexeme), ё as е."""
    if not _ONLY_CYRILLIC.match(word):
        return []
    for parse in _morph().parse(word):
        if parse.is_known and parse.normal_form.replace("ё", "е") == word:
            return list(dict.fromkeys(f.word.replace("ё", "е") for f in parse.lexeme))
    return []


def is_cyrillic(word: str) -> bool:
    return bool(_ONLY_CYRILLIC.match(word))


def is_latin(word: str) -> bool:
    return bool(_ONLY_LATIN.match(word))


# -- stop words ----------------------------------------------------------------

_RU_STOP = """
а без более бы был была были было быть в вам вас весь во вот все всего всех вы
где да даже для до его ее ей ему если есть еще же за здесь и из или им их к как
какая какие какой когда кто ли либо между меня мне мной мог могу может мои мой
мою моя мы на над надо наш не него нее нет ни них но ну о об однако он она они
оно от очень по под при про с со так также такой там те тем то того тоже той
только том ты у уж уже хотя чего чей чем что чтобы чье чья эта эти это этот я
ее ей ими кем кому нам нами нас него нему ним ними нее себе себя свой своя свое
свои своей своего своих моего моей моих твой твоя твое твои ваш ваша ваше ваши
вашей вашего ваших сам сама сами само чё че чо шо щас сейчас вообще просто
пожалуйста плиз помогите подскажите скажите срочно ли разве неужели бы вдруг
ведь вон либо нибудь будто точно всё ещё её мое моё делать сделать хочу хотел
хотела хотим можно нужно нужна нужен помочь вк вконтакте контакт зачем куда
откуда после через стать стало стал
здравствуйте здрасте здрасьте привет приветствую спасибо благодарю заранее умоляю
добрый доброе доброго хелп ребят ребята извините сорри
другой другая другое другие другую другого других другим другими другому теперь опять
потом ничего тут тогда потому совсем почти никогда наконец хоть впрочем иногда чуть
конечно всегда будет больше лучше хорошо много который которая которое которые которого
которой которому которым которыми котором которую
"""

_EN_STOP = """
a about after all also am an and any are as at be been being but by can could
did do does doing for from had has have having he her here hers him his how i
if in into is it its just me more most my myself no nor not of off on once only
or other our ours out over own please same she should so some such than that
the their theirs them then there these they this those through to too under
until up very was we were what when where which while who whom why will with
would you your yours yourself help hi hello vk vkontakte don doesn didn won isn aren
wasn weren couldn shouldn wouldn haven hasn ll ve re
"""

STOP_WORDS: frozenset[str] = frozenset(w.replace("ё", "е") for w in (_RU_STOP + _EN_STOP).split())

#: Greetings and pleas a description of a problem opens or closes with, whose words alone are
#: no stop words ("день", "вечер" can matter): dropped from a query before it is read.
_STOP_PHRASES = re.compile(
    r"\b(?:добр(?:ый|ое|ого)\s+(?:день|дня|утро|утра|вечер|вечера|ночи)"
    r"|(?:что|чо|че|чё)\s+(?:мне\s+)?(?:теперь\s+)?делать"
    r"|заранее\s+спасибо|спасибо\s+заранее|в\s+чем\s+дело)\b",
    re.IGNORECASE,
)


def drop_stop_phrases(text: str) -> str:
    """The query without greetings and pleas ("Добрый день", "что делать", "заранее спасибо")."""
    return _STOP_PHRASES.sub(" ", text)


# -- colloquial words and synonyms ------------------------------------------------

#: Words people use for the same thing in this domain: slang ("фотка", "ава",
#: "учетка") and everyday synonyms ("паблик" for "сообщество"). The search adds the
#: others, discounted, to a word of a group. A word that echoes a query of a test set
#: and is in no article does not belong here ("акк", "угнать", "симка" were
#: removed): what generalises is the method (``search._clipped``, the thesaurus).
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("страница", "аккаунт", "профиль", "учетка"),
    ("фото", "фотография", "фотка", "фоточка", "снимок", "картинка", "изображение"),
    ("аватарка", "аватар", "ава", "авка", "аватара"),
    ("сообщество", "группа", "паблик"),
    ("блокировка", "бан"),
    ("заблокировать", "забанить"),
    ("разблокировать", "разморозить"),
    ("взломать", "хакнуть"),
    ("деньги", "бабки", "деньжата"),
    ("игра", "игрушка", "игруха"),
    ("приложение", "прилога", "приложуха", "прога"),
    ("поддержка", "техподдержка", "саппорт", "администрация"),
    ("сообщения", "личка", "лс"),
    ("запись", "пост", "публикация"),
    ("компьютер", "комп", "ноутбук", "ноут"),
    ("телефон", "смартфон", "мобильник", "тел"),
    ("интернет", "инет"),
    ("друг", "знакомый", "приятель"),
    ("удалить", "стереть", "снести"),
    ("id", "айди", "ид"),
    ("галочка", "галка"),
    ("комментарий", "коммент", "комент"),
    ("беседа", "чат", "конфа"),
    ("смс", "sms", "эсэмэска", "смска"),
    ("пароль", "пасс"),
    ("спам", "рассылка"),
    ("ссылка", "линк", "адрес"),
    ("оплатить", "заплатить", "оплата"),
    # English ("account"/"page", "delete"/"remove", "block"/"ban", "app"/"application" went:
    # they echo dev queries; data/lexicon.tsv relates those words to the articles' own)
    ("photo", "picture", "pic", "image"),
    ("view", "look", "see", "visit"),
    ("group", "community", "public"),
    ("phone", "mobile", "cell"),
    ("buy", "purchase"),
    ("money", "cash", "funds"),
    ("message", "dm"),
)


@lru_cache(maxsize=1)
def _synonym_index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for group in SYNONYMS:
        stems = {stem(w) for w in group}
        for s in stems:
            index.setdefault(s, set()).update(stems - {s})
    return {s: frozenset(others) for s, others in index.items()}


def synonyms(word_stem: str) -> frozenset[str]:
    """Stems of the words that mean the same as the word with this stem (``SYNONYMS``)."""
    return _synonym_index().get(word_stem, frozenset())


# -- keyboard layout -----------------------------------------------------------

_QWERTY = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`" + 'QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>~'
_JCUKEN = "йцукенгшщзхъфывапролджэячсмитьбюё" + "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ"
_TO_CYRILLIC = str.maketrans(_QWERTY, _JCUKEN)
_TO_LATIN = str.maketrans(_JCUKEN, _QWERTY)


def from_layout(text: str) -> str:
    """Russian typed on the English layout, read back: "gfhjkm" → "пароль"."""
    return text.translate(_TO_CYRILLIC)


def to_layout(text: str) -> str:
    """English typed on the Russian layout, read back: "зфыыцщкв" → "password"."""
    return text.translate(_TO_LATIN)


# -- transliteration -----------------------------------------------------------

#: Latin spellings of Cyrillic sounds, longest first; each maps to the likely
#: readings, most common first.
_TRANSLIT: list[tuple[str, tuple[str, ...]]] = sorted(
    [
        ("shch", ("щ",)),
        ("sch", ("щ", "сч", "сх")),
        ("sh", ("ш",)),
        ("ch", ("ч",)),
        ("zh", ("ж",)),
        ("kh", ("х",)),
        ("ts", ("ц", "тс")),
        ("tz", ("ц",)),
        ("yo", ("е",)),
        ("jo", ("е",)),
        ("yu", ("ю",)),
        ("ju", ("ю",)),
        ("iu", ("ю",)),
        ("ya", ("я",)),
        ("ja", ("я",)),
        ("ia", ("я", "ия")),
        ("ye", ("е",)),
        ("iy", ("ий",)),
        ("yy", ("ый",)),
        ("ij", ("ий",)),
        ("ck", ("к",)),
        ("iya", ("ия",)),
        ("iyu", ("ию",)),
        ("iye", ("ие",)),
        ("iyo", ("ие",)),
        ("a", ("а",)),
        ("b", ("б",)),
        ("c", ("ц", "к", "с")),
        ("d", ("д",)),
        ("e", ("е", "э")),
        ("f", ("ф",)),
        ("g", ("г",)),
        ("h", ("х",)),
        ("i", ("и",)),
        ("j", ("й", "ж")),
        ("k", ("к",)),
        ("l", ("л",)),
        ("m", ("м",)),
        ("n", ("н",)),
        ("o", ("о",)),
        ("p", ("п",)),
        ("q", ("к",)),
        ("r", ("р",)),
        ("s", ("с",)),
        ("t", ("т",)),
        ("u", ("у",)),
        ("v", ("в",)),
        ("w", ("в",)),
        ("x", ("кс", "х")),
        ("y", ("ы", "й")),
        ("z", ("з",)),
        ("'", ("ь",)),
        ("`", ("ь",)),
    ],
    key=lambda pair: -len(pair[0]),
)
_MAX_VARIANTS = 24
_VOWELS = frozenset("aeiouy")


def translit_variants(word: str) -> list[str]:
    """Cyrillic readings of a transliterated word, the most likely first (at most 24)."""
    variants = [""]
    i = 0
    while i < len(word):
        for latin, cyrillic in _TRANSLIT:  # noqa: B007 - the pair `break` stops at is read below
            if word.startswith(latin, i):
                i += len(latin)
                break
        else:  # not a letter we know: keep it
            cyrillic = (word[i],)
            i += 1
        if latin == "y" and i > 1 and word[i - 2] in _VOWELS:
            cyrillic = ("й", "ы")  # "moy", "kakoy": after a vowel it is й
        variants = [v + c for v in variants for c in cyrillic][:_MAX_VARIANTS]
    return variants


# -- English cognates ------------------------------------------------------------

#: Endings of English words borrowed into Russian with a Russian ending of their own, longest
#: first: "registration" → "регистрация", "moderator" → "модератор", "activate" → "активировать".
_COGNATE_ENDINGS: list[tuple[str, tuple[str, ...]]] = [
    ("ification", ("ификация",)),
    ("ization", ("изация",)),
    ("isation", ("изация",)),
    ("ation", ("ация",)),
    ("tion", ("ция",)),
    ("ssion", ("ссия",)),
    ("sion", ("сия",)),
    ("ify", ("ифицировать",)),
    ("ize", ("изировать", "изовать")),
    ("ise", ("изировать", "изовать")),
    ("ate", ("ировать", "ат")),
    ("ment", ("мент",)),
    ("ture", ("тура",)),
    ("ic", ("ический", "ика")),
    ("y", ("ия", "и")),
]
#: English spellings of sounds, longest first, each with its likeliest Russian letters.
_ENGLISH_LETTERS: list[tuple[str, str]] = sorted(
    zip(
        "sh ch th ph ck qu ee oo ou au kh zh ts a b c d e f g h i j k l m n o p q r s t u v w x y z".split(),  # noqa: SIM905 - read as the row below it
        "ш  ч  т  ф  к  кв и  у  ау ау х  ж  ц  а б к д е ф г х и дж к л м н о п к р с т у в в кс и з".split(),  # noqa: SIM905
        strict=True,
    ),
    key=lambda pair: -len(pair[0]),
)


def _english_letters(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        for latin, cyrillic in _ENGLISH_LETTERS:
            if text.startswith(latin, i):
                # "c" before e, i, y sounds as "с": "service", "policy"
                if latin == "c" and text[i + 1 : i + 2] in ("e", "i", "y"):
                    cyrillic = "с"
                out.append(cyrillic)
                i += len(latin)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def english_cognates(word: str) -> list[str]:
    """Russian words an English word may be borrowed as: its ending by ``_COGNATE_ENDINGS``, the
    rest spelt by sound ("verification" → "верификация", "avatar" → "аватар")."""
    if not _ONLY_LATIN.match(word) or len(word) < 4:
        return []
    out = []
    for ending, russian in _COGNATE_ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            base = _english_letters(word[: -len(ending)])
            out += [base + r for r in russian]
            break
    out.append(_english_letters(word))
    return list(dict.fromkeys(out))


# -- typo distance -------------------------------------------------------------


def osa_distance(a: str, b: str, limit: int = 2) -> int:
    """Edit distance counting an adjacent transposition as one edit; ``limit + 1`` if above."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def deletes(word: str) -> set[str]:
    """The word and every string one deletion away (the keys of the typo table)."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}
