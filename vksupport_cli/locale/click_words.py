"""The words of click and Typer that a person reads, listed for the catalogue; never imported.

click and Typer pass these to gettext themselves, through the process-wide domain that
``i18n.setup()`` binds to ours, so ru.po speaks for them too. They are not in our code, so
``pybabel extract`` reads them here: each is exactly the msgid click 8.4.2 or Typer
0.25.1 asks for (a string, or the singular and plural of their ngettext), in the
order of a help screen, then errors, then the values click checks. tests/test_i18n.py fails
when an upgrade rewords one of them.
"""

from __future__ import annotations


def _(message: str) -> str:
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


WORDS = [
    _("Usage:"),
    _("Options"),
    _("Commands"),
    _("Arguments"),
    _("Show this message and exit."),
    _("[default: {}]"),
    _("[env var: {}]"),
    _("[required]"),
    _("(deprecated) "),
    _("default: {default}"),
    _("env var: {var}"),
    _("required"),
    _("Error"),
    _("Error: {message}"),
    _("Error: invalid input"),
    _("Aborted!"),
    _("Aborted."),
    _("Try '{command} {option}' for help."),
    _("Try [blue]'{command_path} {help_option}'[/] for help."),
    _("Missing command."),
    _("Missing argument"),
    _("Missing option"),
    _("Missing parameter"),
    _("Missing {param_type}"),
    _("Missing parameter: {param_name}"),
    _("No such command {name!r}."),
    _("No such option {name!r}."),
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 2),
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 2),
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 2),
    _("Option {name!r} does not take a value."),
    _("Argument {name!r} takes {nargs} values."),
    _("Invalid value for {param_hint}: {message}"),
    _("Invalid value: {message}"),
    _("{value!r} is not a valid {number_type}."),
    _("{value} is not in the range {range}."),
    _("{value!r} is not a valid boolean. Recognized values: {states}"),
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 2),
    _("file"),
    _("directory"),
    _("path"),
    _("{name} {filename!r} does not exist."),
    _("{name} {filename!r} is a file."),
    _("{name} {filename!r} is a directory."),
    _("{name} {filename!r} is not readable."),
    _("{name} {filename!r} is not writable."),
]
