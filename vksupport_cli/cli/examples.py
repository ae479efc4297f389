"""Every command's help ends with examples, as gh's does, and the command list shows whole summaries.

The examples are command lines, the same in every language; only the heading is translated.
Both of Typer's help renderers (plain click, and rich in a terminal) show one per line.
"""

from __future__ import annotations

import os

import click

from ..i18n import _

EXAMPLES: dict[str, list[str]] = {
    "search-help": [
        'vksupport search-help "не приходит код"',
        'vksupport search-help "hacked page" --category security --limit 3',
        'vksupport search-help "взлом" --json',
    ],
    "article": ["vksupport article hacked-page", "vksupport article hacked-page --json"],
    "topics": ["vksupport topics", "vksupport topics --json"],
    "ask": [
        "vksupport ask",
        'vksupport ask --topic hacked-page --title "Страницу взломали" --body-file problem.txt',
        'vksupport ask --topic account --title "..." --body "..." --attach screen.png --yes',
        "vksupport ask --resume latest --link https://vk.com/id1",
    ],
    "list": ["vksupport list", "vksupport list --status open", "vksupport list --json --field id"],
    "show": ["vksupport show 12", "vksupport show 12 --json", "vksupport show 12 --field status"],
    "edit": [
        "vksupport edit 12",
        'vksupport edit 12 --title "Новый заголовок"',
        "vksupport edit 12 --no-link",
    ],
    "comment": [
        "vksupport comment 12",
        'vksupport comment 12 --body "Пароль всё ещё не подходит."',
        "vksupport comment 12 --attach error.png",
    ],
    "delete": ["vksupport delete 12", "vksupport delete 12 --yes"],
    "rate": ["vksupport rate 12 good", 'vksupport rate 12 bad --comment "Ответ не по теме."'],
    "close": ["vksupport close 12"],
    "wait": [
        "vksupport wait 12",
        "vksupport wait 12 --timeout 600 --interval 30 --json",
        "vksupport wait 12 --timeout 60 --field status",
    ],
    "attachment download": [
        "vksupport attachment download 12 3",
        "vksupport attachment download 12 3 -o screen.png --force",
        "vksupport attachment download 12 3 -o - > screen.png",
    ],
    "drafts list": ["vksupport drafts list", "vksupport drafts list --json"],
    "drafts show": ["vksupport drafts show 20261202-101500-ab12"],
    "drafts discard": [
        "vksupport drafts discard 20261202-101500-ab12",
        "vksupport drafts discard --older-than 7d",
        "vksupport drafts discard --all",
    ],
    "auth login": [
        "vksupport auth login --server https://desk.example",
        "vksupport auth login --server https://desk.example --with-token < token.txt",
    ],
    "auth status": ["vksupport auth status", "vksupport auth status --json"],
    "auth logout": ["vksupport auth logout", "vksupport auth logout --server https://desk.example"],
    "config get": ["vksupport config get server"],
    "config set": [
        "vksupport config set server sandbox",
        "vksupport config set server https://desk.example",
        'vksupport config set pager "less -R"',
        "vksupport config set color never",
    ],
    "config unset": ["vksupport config unset pager"],
    "config list": ["vksupport config list", "vksupport config list --json"],
    "agent take": ["vksupport agent take", "vksupport agent take --json"],
    "agent answer": ['vksupport agent answer 12 --body "Восстановите доступ по ссылке из статьи."'],
    "agent queue": ["vksupport agent queue", "vksupport agent queue --json"],
    "desk serve": [
        "vksupport desk serve --db desk.sqlite3 --port 8080",
        "vksupport desk serve --db desk.sqlite3 --host 0.0.0.0 --workers 2 --access-log",
    ],
    "desk add-user": [
        "vksupport desk add-user alice --db desk.sqlite3 > alice.token",
        "vksupport desk add-user smith --agent --db desk.sqlite3",
    ],
    "desk import-help": ["vksupport desk import-help articles.jsonl --db desk.sqlite3"],
    "desk accepting": ["vksupport desk accepting off", "vksupport desk accepting on --db desk.sqlite3"],
}


def epilog(path: str) -> str | None:
    lines = EXAMPLES.get(path)
    if not lines:
        return None
    examples = [f"  $ {line}" for line in lines]
    if os.environ.get("TYPER_USE_RICH") == "0":  # click's plain help: "\b" keeps the lines as they are
        return _("Examples:") + "\n\n\b\n" + "\n".join(examples)
    return "\n\n".join([_("Examples:"), *examples])  # rich's help joins the lines of a paragraph


def document(command: click.Command, path: str) -> None:
    """Give ``command`` (named ``path`` below the root) its examples and an uncut summary."""
    if command.epilog is None:
        command.epilog = epilog(path)
    if command.short_help is None and command.help:
        # click cuts a summary at ~45 columns with "..."; the whole first sentence is kept instead.
        command.short_help = command.help.strip().split("\n\n", 1)[0]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            document(sub, f"{path} {name}")
