"""Russian that reads like VK's own interface (issue 17): the glossary holds across the catalogue,
and what a person reads under a Russian locale is Russian, true and grammatical.

Each test of a "wrong" item runs the real CLI (a subprocess, or a pseudo-terminal where a person
answers a prompt) under ``VKSUPPORT_LANG=ru`` or ``LANG=ru_RU.UTF-8``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from vksupport_cli import credentials, i18n
from vksupport_cli.cli import exits
from vksupport_cli.errors import Conflict, NotEditable

from cli_support import Outcome

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "vksupport_cli" / "locale"
GLOSSARY = LOCALE / "GLOSSARY.md"
LOCALE_VARIABLES = ("VKSUPPORT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def _tool():
    spec = importlib.util.spec_from_file_location("vksupport_i18n_tool_ru", ROOT / "tools" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _catalogue() -> dict[str, SimpleNamespace]:
    """ru.po as msgid -> (plural, strings), read with Babel."""
    found = {}
    for message in _tool().catalogue():
        if not message.id:
            continue
        msgid, plural = (
            (message.id[0], message.id[1]) if isinstance(message.id, tuple) else (message.id, None)
        )
        strings = list(message.string) if isinstance(message.string, tuple) else [message.string]
        found[msgid] = SimpleNamespace(plural=plural, strings=strings)
    return found


# -- the glossary -----------------------------------------------------------------------------


def glossary() -> list[dict[str, object]]:
    """The table of GLOSSARY.md: one row per term, its rejected synonyms compiled."""
    text = GLOSSARY.read_text(encoding="utf-8")
    table = text.split("<!-- glossary:start -->", 1)[1].split("<!-- glossary:end -->", 1)[0]
    rows = []
    for line in table.strip().splitlines()[2:]:  # past the header and its rule
        english, russian, rejected, _notes = (cell.strip() for cell in line.strip().strip("|").split("|"))
        patterns = re.findall(r"`([^`]+)`", rejected)
        rows.append(
            {
                "english": english,
                "russian": russian,
                "rejected": [(p, re.compile(r"(?<!\w)" + p, re.IGNORECASE)) for p in patterns],
            }
        )
    return rows


def rejected_synonyms(text: str) -> list[str]:
    """The glossary's rejected synonyms found in ``text``: 'term: pattern (what matched)'."""
    return [
        f"{row['russian']}: `{pattern}` ({found.group(0)!r})"
        for row in glossary()
        for pattern, regex in row["rejected"]
        if (found := regex.search(text))
    ]


def test_the_glossary_names_the_interface_terms():
    terms = {row["russian"] for row in glossary()}
    for term in ("вопрос", "черновик", "агент поддержки", "сервер поддержки", "токен", "раздел", "ярлык"):
        assert term in terms, term
    assert any(term.startswith("Помощь") for term in terms)
    assert all(row["rejected"] for row in glossary()), "every term names the synonyms it rejects"


@pytest.mark.parametrize(
    "text, found",
    [
        ("Поиск по справке ВКонтакте", "Помощь"),
        ("Сервер сейчас не принимает новые вопросы", "сервер поддержки"),
        ("Вы вышли из https://desk.example", "войти на / выйти с"),
        ("Ваше обращение принято", "вопрос"),
        ("Войдите в учётную запись", "аккаунт"),
        ("Показать эту помощь и выйти", "справка"),
    ],
)
def test_the_glossary_check_catches_a_rejected_synonym(text, found):
    assert any(hit.startswith(found) for hit in rejected_synonyms(text)), rejected_synonyms(text)


@pytest.mark.parametrize(
    "text",
    [
        "Адрес сервера поддержки",
        "Серверу поддержки нужны дополнительные пакеты",
        "прикрепляйте файлы с помощью --attach",
        "Файл JSONL: по одной статье в строке (slug, category, title)",
        "Слишком много запросов",
    ],
)
def test_the_glossary_check_lets_the_chosen_words_pass(text):
    assert rejected_synonyms(text) == []


def test_no_translation_uses_a_rejected_synonym():
    from vksupport_cli.desk.categories import CATEGORIES

    found = [
        f"{msgid!r}: {hit}"
        for msgid, entry in _catalogue().items()
        for text in entry.strings
        for hit in rejected_synonyms(text)
    ]
    found += [
        f"category {slug}: {hit}" for slug, names in CATEGORIES.items() for hit in rejected_synonyms(names.ru)
    ]
    assert not found, "\n".join(found)


def test_the_help_centre_is_pomoshch_everywhere():
    """«справка» is the --help screen; the help centre is VK's «Помощь», in every message about it."""
    about = re.compile(r"help[ -]cent(re|er)|help article", re.IGNORECASE)
    wrong = [
        msgid
        for msgid, entry in _catalogue().items()
        if about.search(msgid) and not all("Помощ" in text for text in entry.strings)
    ]
    assert len([m for m in _catalogue() if about.search(m)]) >= 8
    assert not wrong, wrong


def test_every_plural_form_keeps_the_count():
    """Russian's first form serves 1 and also 21, 31...: it must carry the count like the others."""
    tool = _tool()
    lost = []
    for msgid, entry in _catalogue().items():
        if entry.plural is None:
            continue
        wanted = tool.fields(entry.plural)
        lost += [
            f"{msgid!r} form {i}: {text!r}"
            for i, text in enumerate(entry.strings)
            if not wanted <= tool.fields(text)
        ]
    assert not lost, "\n".join(lost)


@pytest.mark.parametrize("n", [1, 21, 22, 25])
def test_an_option_that_takes_21_values_says_21(russian, n):
    text = i18n.ngettext(
        "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", n
    )
    assert str(n) in text.format(name="--x", nargs=n)


@pytest.fixture
def russian(monkeypatch):
    monkeypatch.setattr(i18n, "_forced", None)
    monkeypatch.setenv("VKSUPPORT_LANG", "ru")


@pytest.mark.parametrize(
    "message, expected",
    [
        ("У вас нет вопроса #99.", "у вас нет вопроса #99."),
        (
            "Сервер поддержки сейчас не принимает новые вопросы.",
            "сервер поддержки сейчас не принимает новые вопросы.",
        ),
        ("Помощь не нашла статью.", "Помощь не нашла статью."),
        ("ВКонтакте не отвечает.", "ВКонтакте не отвечает."),
        ("ОС не даёт прочитать файл.", "ОС не даёт прочитать файл."),
        ("HTTP 500 от сервера поддержки.", "HTTP 500 от сервера поддержки."),
        ("'abc' — не целое число.", "'abc' — не целое число."),
    ],
)
def test_after_a_colon_russian_starts_small(russian, message, expected):
    assert i18n.after_colon(message) == expected


def test_after_a_colon_english_keeps_its_capital(monkeypatch):
    monkeypatch.setattr(i18n, "_forced", None)
    monkeypatch.setenv("VKSUPPORT_LANG", "en")
    assert i18n.after_colon("There is no question 99 of yours.") == "There is no question 99 of yours."


# -- the real CLI under a Russian locale ----------------------------------------------------------


def _environ(home: Path, lang: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    drop = {*LOCALE_VARIABLES, "VKSUPPORT_SERVER", "VKSUPPORT_TOKEN", "VKSUPPORT_DEBUG", "NO_COLOR", "EDITOR"}
    env = {name: value for name, value in os.environ.items() if name not in drop}
    return {**env, "VKSUPPORT_HOME": str(home), "COLUMNS": "200", "LANG": lang, **(extra or {})}


def cli(home: Path, *args: str, lang: str = "ru_RU.UTF-8", extra: dict[str, str] | None = None) -> Outcome:
    done = subprocess.run(
        [sys.executable, "-m", "vksupport_cli", *args],
        capture_output=True,
        text=True,
        env=_environ(home, lang, extra),
        timeout=60,
        stdin=subprocess.DEVNULL,
        encoding="utf-8",
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def home(tmp_path, _template_db) -> Path:
    """A sandbox desk of its own (the help-centre index copied, not rebuilt)."""
    (tmp_path / "data").mkdir()
    shutil.copy(_template_db, tmp_path / "data" / "sandbox.sqlite3")
    return tmp_path


ASK = [
    "ask",
    "--topic",
    "hacked-page",
    "--title",
    "Страницу взломали",
    "--body",
    "Пишут друзьям от моего имени.",
]


@pytest.mark.parametrize(
    "seconds, russian, english",
    [
        (0, "меньше минуты", "less than a minute"),
        (59, "меньше минуты", "less than a minute"),
        (-30, "меньше минуты", "less than a minute"),  # a desk whose clock runs ahead of ours
        (60, "1 минуту", "1 minute"),
        (21 * 60, "21 минуту", "21 minutes"),
    ],
)
def test_a_waiting_time_under_a_minute_is_less_than_a_minute(monkeypatch, seconds, russian, english):
    from datetime import UTC, datetime, timedelta

    from vksupport_cli.cli.render import since

    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    queued = (now - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    monkeypatch.setattr(i18n, "_forced", None)
    for language, expected in (("ru", russian), ("en", english)):
        monkeypatch.setenv("VKSUPPORT_LANG", language)
        assert since(queued, now) == expected


def _queued_ahead(home: Path) -> None:
    """Put question 1's times an hour ahead of this machine's clock: however slowly the next
    command starts, the question has waited less than a minute (as with a desk whose clock is ahead)."""
    import sqlite3
    from datetime import UTC, datetime, timedelta

    ahead = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with sqlite3.connect(home / "data" / "sandbox.sqlite3") as db:
        db.execute("UPDATE questions SET created_at = ?, queued_at = ? WHERE id = 1", (ahead, ahead))
    db.close()


def test_a_lone_question_has_waited_less_than_a_minute_not_0_seconds(home):
    assert cli(home, *ASK).code == 0
    _queued_ahead(home)
    russian, english = cli(home, "show", "1"), cli(home, "show", "1", lang="C")
    assert "ждёт уже меньше минуты" in russian.stdout, russian.stdout
    assert "секунд" not in russian.stdout
    assert "waiting for less than a minute" in english.stdout, english.stdout
    listed = cli(home, "list")
    assert "меньше минуты" in listed.stdout and "секунд" not in listed.stdout, listed.stdout


def test_errors_after_a_colon_start_small(home):
    outcome = cli(home, "show", "99")
    assert outcome.code == exits.NOT_FOUND
    assert outcome.stderr.strip() == "Ошибка: у вас нет вопроса #99.", outcome.stderr
    english = cli(home, "show", "99", lang="C")
    assert english.stderr.strip() == "Error: There is no question 99 of yours.", english.stderr


def test_the_category_column_names_the_category_in_the_readers_language(home):
    russian = cli(home, "search-help", "взломали страницу", "--limit", "3")
    english = cli(home, "search-help", "взломали страницу", "--limit", "3", lang="C")
    assert russian.code == english.code == 0
    row = next(line for line in russian.stdout.splitlines() if "hacked-page" in line)
    assert "Безопасность" in row and " security " not in f" {row} ", row
    row = next(line for line in english.stdout.splitlines() if "hacked-page" in line)
    assert "Security" in row, row
    topics = cli(home, "topics")
    row = next(line for line in topics.stdout.splitlines() if line.startswith("hacked-page"))
    assert row.rstrip().endswith("Безопасность"), row
    english_topics = cli(home, "topics", lang="C")
    row = next(line for line in english_topics.stdout.splitlines() if line.startswith("ads-business "))
    assert "Ads and business" in row, row
    article = cli(home, "article", "hacked-page")
    assert "Безопасность · hacked-page" in article.stdout, article.stdout


def test_the_category_names_are_one_table_in_two_languages():
    from vksupport_cli.desk import helpcenter
    from vksupport_cli.desk.categories import CATEGORIES, category_name

    assert {slug: names.ru for slug, names in CATEGORIES.items()} == helpcenter.CATEGORIES
    assert category_name("security", "en") == "Security" and category_name("security", "ru") == "Безопасность"
    assert category_name("made-up", "ru") == "made-up"
    assert all(re.fullmatch(r"[A-Z][a-z -]+", names.en) for names in CATEGORIES.values())


def test_a_drafts_line_agrees_in_gender_and_names_the_failure_in_russian(home):
    assert cli(home, *ASK).code == 0
    assert cli(home, "agent", "take").code == 0
    refused = cli(home, "edit", "1", "--title", "Новый заголовок")
    assert refused.code == exits.CONFLICT, refused.stderr
    draft_id = re.search(r"\d{8}-\d{6}-[0-9a-f]{4}", refused.stderr).group(0)
    shown = cli(home, "drafts", "show", draft_id)
    assert shown.code == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert f"Черновик {draft_id} (правка; сохранено " in text, text
    assert "правка, сохранён" not in text
    assert "NotEditable" not in text and "(" + "Not" not in text
    assert "Пока не отправлено: агент поддержки уже взял вопрос в работу, и изменить его нельзя." in text
    english = cli(home, "drafts", "show", draft_id, lang="C")
    assert "Not sent yet: an agent has taken the question, so it can no longer be changed." in english.stdout


def test_resume_help_does_not_call_prompts_questions(home):
    for command in ("ask", "edit", "comment"):
        shown = cli(home, command, "--help")
        text = " ".join(shown.stdout.split())
        assert "без вопросов" not in text, text
        assert "ничего не спрашивая" in text, text


def test_signing_out_pairs_with_signing_in(home, monkeypatch):
    url = "https://desk.example"
    monkeypatch.setenv("VKSUPPORT_HOME", str(home))  # credentials.store writes where the CLI will look
    credentials.store(url, "made-up-token", insecure_storage=True)
    outcome = cli(
        home,
        "auth",
        "logout",
        "--server",
        url,
        extra={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert outcome.code == 0, outcome.stderr
    assert f"Вы вышли с {url}: токен удалён из файла" in outcome.stdout, outcome.stdout
    assert "вышли из" not in outcome.stdout


# -- a person at a terminal (a pseudo-terminal) ---------------------------------------------------


class Terminal:
    """The CLI on a pseudo-terminal: read what it shows, answer its prompts."""

    def __init__(self, home: Path, *args: str, lang: str = "ru_RU.UTF-8") -> None:
        import pty

        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vksupport_cli", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**_environ(home, lang), "TERM": "dumb", "NO_COLOR": "1"},
            close_fds=True,
        )
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, deadline: float = 120.0) -> str:
        """Read until ``text`` shows (or the process ends, or ``deadline`` seconds pass: then fail)."""
        import time

        end = time.monotonic() + deadline
        while text not in self.seen:
            left = end - time.monotonic()
            ready, _, _ = select.select([self.master], [], [], max(0.0, left))
            if not ready:
                raise AssertionError(f"{text!r} never showed; the terminal shows:\n{self.seen}")
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the process ended and closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"{text!r} never showed; the terminal shows:\n{self.seen}")
            self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return self.seen

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self) -> int:
        try:
            while True:
                ready, _, _ = select.select([self.master], [], [], 120)
                if not ready:
                    break
                chunk = os.read(self.master, 4096)
                if not chunk:
                    break
                self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        except OSError:
            pass
        code = self.process.wait(timeout=120)
        os.close(self.master)
        return code


def test_a_yes_no_question_speaks_russian_and_takes_a_russian_answer(home):
    assert cli(home, *ASK).code == 0
    terminal = Terminal(home, "delete", "1")
    terminal.expect("Удалить вопрос #1 «Страницу взломали» насовсем? [д/Н]")
    assert "[y/N]" not in terminal.seen
    terminal.type("да")
    assert terminal.finish() == 0, terminal.seen
    assert "Вопрос #1 удалён." in terminal.seen, terminal.seen


def test_a_yes_no_question_asks_again_on_an_unknown_answer(home):
    assert cli(home, *ASK).code == 0
    terminal = Terminal(home, "delete", "1")
    terminal.expect("[д/Н]")
    terminal.type("может быть")
    terminal.expect("Ответьте «д» (да) или «н» (нет).")
    terminal.type("н")
    terminal.finish()
    assert "ничего не удалено." in terminal.seen.lower()
    assert cli(home, "show", "1").code == 0


def test_english_keeps_y_n(home):
    assert cli(home, *ASK, lang="C").code == 0
    terminal = Terminal(home, "delete", "1", lang="C")
    terminal.expect("Delete question #1 “Страницу взломали” for good? [y/N]")
    terminal.type("y")
    assert terminal.finish() == 0, terminal.seen


def test_declining_to_send_does_not_say_send_it_again(home):
    terminal = Terminal(home, *ASK)
    terminal.expect("Отправить вопрос в поддержку? [Д/н]")
    terminal.type("н")
    terminal.finish()
    text = " ".join(terminal.seen.split())
    assert "Текст сохранён в черновике" in text and "отправить его: vksupport ask --resume" in text, text
    assert "ещё раз" not in text, text


def test_a_dropped_placeholder_no_longer_says_a_number_is_not_a_number(home):
    outcome = cli(home, "show", "1.5")
    assert outcome.code == exits.USAGE
    assert "'1.5' — не целое число." in outcome.stderr, outcome.stderr
    assert "— не число" not in outcome.stderr
    timeout = cli(home, "wait", "1", "--timeout", "скоро")
    assert "'скоро' — не число." in timeout.stderr, timeout.stderr
    for text in (outcome.stderr, timeout.stderr):
        assert not re.search(r"integer|float|range", text), text


def test_the_usage_line_and_value_names_are_russian(home):
    usage = cli(home, "show", "abc").stderr
    assert "Использование: vksupport show [ПАРАМЕТРЫ] QUESTION_ID" in usage, usage
    top = cli(home, "--help").stdout
    assert "vksupport [ПАРАМЕТРЫ] КОМАНДА [АРГУМЕНТЫ]..." in top, top
    listed = " ".join(cli(home, "list", "--help").stdout.split())
    assert "--status ТЕКСТ" in listed and "--limit ЦЕЛОЕ ЧИСЛО" in listed, listed
    for text in (usage, top, listed):
        assert not re.search(r"\[OPTIONS\]|COMMAND|\[ARGS\]|\bTEXT\b|INTEGER|FLOAT", text), text
    english = " ".join(cli(home, "list", "--help", lang="C").stdout.split())
    assert "vksupport list [OPTIONS]" in english and "--limit INTEGER RANGE" in english, english


def test_rich_help_in_a_terminal_is_russian_too(home):
    terminal = Terminal(home, "list", "--help")
    terminal.finish()
    text = " ".join(terminal.seen.split())
    assert "[ПАРАМЕТРЫ]" in text and "Мои вопросы, сначала новые." in text, text
    assert not re.search(r"\[OPTIONS\]|\bUsage\b|\bOptions\b|\bTEXT\b|INTEGER", text), text


# -- refusals that give the true reason (issue 17), in Russian ----------------------------------


def test_russian_refusals_name_the_true_reason(desk, user, agent, monkeypatch):
    monkeypatch.setattr(i18n, "_forced", None)
    monkeypatch.setenv("VKSUPPORT_LANG", "ru")
    from conftest import ask as ask_on

    closed = ask_on(desk, user)
    desk.close_question(user, closed.id)
    with pytest.raises(NotEditable, match=r"^Вопрос #\d+ закрыт, изменить его уже нельзя") as refused:
        desk.edit_question(user, closed.id, title="Новый")
    assert "агент" not in refused.value.message

    reopened = ask_on(desk, user)
    desk.take(agent)
    desk.answer(agent, reopened.id, "Смените пароль.")
    desk.comment(user, reopened.id, "Не помогло.")
    with pytest.raises(Conflict, match="снова у поддержки после вашего дополнения") as refused:
        desk.rate(user, reopened.id, "good")
    assert "ещё нет ответа" not in refused.value.message


def test_edit_in_a_terminal_on_a_closed_question_says_it_is_closed(home):
    assert cli(home, *ASK).code == 0
    assert cli(home, "close", "1").code == 0
    terminal = Terminal(home, "edit", "1")
    code = terminal.finish()
    text = " ".join(terminal.seen.split())
    assert code == exits.CONFLICT, text
    assert "Ошибка: вопрос #1 закрыт, изменить его уже нельзя. Задайте новый вопрос." in text, text
    assert "агент" not in text
    english = Terminal(home, "edit", "1", lang="C")
    english.finish()
    assert (
        "Question 1 is closed and can no longer be edited" in english.seen and "agent" not in english.seen
    ), english.seen


def test_rate_after_a_follow_up_says_what_to_do(home):
    assert cli(home, *ASK).code == 0
    assert cli(home, "agent", "take").code == 0
    assert cli(home, "agent", "answer", "1", "--body", "Смените пароль.").code == 0
    assert cli(home, "comment", "1", "--body", "Не помогло.").code == 0
    russian, english = cli(home, "rate", "1", "good"), cli(home, "rate", "1", "good", lang="C")
    assert russian.code == english.code == exits.CONFLICT
    assert "после вашего дополнения" in russian.stderr and "ещё нет ответа" not in russian.stderr, (
        russian.stderr
    )
    assert "vksupport wait 1" in russian.stderr, russian.stderr
    assert "follow-up" in english.stderr and "no answer" not in english.stderr, english.stderr
    assert "vksupport wait 1" in english.stderr, english.stderr
