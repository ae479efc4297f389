"""Catalogue tooling, standard library only.

    python tools/i18n.py extract   # refresh vksupport.pot and merge new msgids into ru.po
    python tools/i18n.py compile   # ru.po -> ru/LC_MESSAGES/vksupport.mo (committed)
    python tools/i18n.py check     # exit 1 if a msgid lacks a translation or the .mo is stale

Extraction reads the package's source with ``ast``: every literal passed to
``_()`` or ``ngettext()``. The few words of click and Typer that a person sees
(``EXTERNAL``) are added by hand: they translate them through the same domain.
"""

from __future__ import annotations

import ast
import string
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "vksupport_cli"
LOCALE = PACKAGE / "locale"
POT = LOCALE / "vksupport.pot"
PO = LOCALE / "ru.po"
MO = LOCALE / "ru" / "LC_MESSAGES" / "vksupport.mo"

RU_HEADER = (
    "Project-Id-Version: vksupport\n"
    "Language: ru\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
    "n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\n"
)

#: Words of click and Typer a person reads in help and errors, exactly as they pass them to
#: gettext (click 8.4, Typer 0.25): a string, or (singular, plural) for their ngettext calls.
EXTERNAL: list[str | tuple[str, str]] = [
    # help screens (click's formatter, Typer's rich panels and its plain help)
    "Usage:",
    "Options",
    "Commands",
    "Arguments",
    "Show this message and exit.",
    "[default: {}]",
    "[env var: {}]",
    "[required]",
    "(deprecated) ",
    "default: {default}",
    "env var: {var}",
    "required",
    # errors and interruptions
    "Error",
    "Error: {message}",
    "Error: invalid input",
    "Aborted!",
    "Aborted.",
    "Try '{command} {option}' for help.",
    "Try [blue]'{command_path} {help_option}'[/] for help.",
    "Missing command.",
    "Missing argument",
    "Missing option",
    "Missing parameter",
    "Missing {param_type}",
    "Missing parameter: {param_name}",
    "No such command {name!r}.",
    "No such option {name!r}.",
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    "Option {name!r} does not take a value.",
    "Argument {name!r} takes {nargs} values.",
    "Invalid value for {param_hint}: {message}",
    "Invalid value: {message}",
    # values click checks
    "{value!r} is not a valid {number_type}.",
    "{value} is not in the range {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}",
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    "file",
    "directory",
    "path",
    "{name} {filename!r} does not exist.",
    "{name} {filename!r} is a file.",
    "{name} {filename!r} is a directory.",
    "{name} {filename!r} is not readable.",
    "{name} {filename!r} is not writable.",
]


@dataclass
class Entry:
    msgid: str
    plural: str | None = None
    strings: list[str] = field(default_factory=list)  # msgstr, or msgstr[0..n]
    where: list[str] = field(default_factory=list)


def extract() -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id not in ("_", "ngettext"):
                continue
            literals = [
                arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
            if not literals:
                raise SystemExit(
                    f"{path}:{node.lineno}: {node.func.id}() needs a string literal, not an expression"
                )
            msgid = literals[0]
            entry = entries.setdefault(
                msgid, Entry(msgid, literals[1] if node.func.id == "ngettext" else None)
            )
            entry.where.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    for external in EXTERNAL:
        msgid, plural = (external, None) if isinstance(external, str) else external
        entries.setdefault(msgid, Entry(msgid, plural, where=["click/typer"]))
    return entries


# -- .po reading and writing ---------------------------------------------------------


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def read_po(path: Path) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    current: Entry | None = None
    target: str | None = None
    index = 0

    def finish():
        if current is not None and current.msgid:
            entries[current.msgid] = current

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            finish()
            current, target = Entry(_unquote(line[6:])), "msgid"
        elif line.startswith("msgid_plural "):
            current.plural, target = _unquote(line[13:]), "plural"
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            current.strings.append(_unquote(line[line.index("]") + 2 :]))
            target = "strings"
        elif line.startswith("msgstr "):
            current.strings, target, index = [_unquote(line[7:])], "strings", 0
        elif line.startswith('"'):
            value = _unquote(line)
            if target == "msgid":
                current.msgid += value
            elif target == "plural":
                current.plural += value
            else:
                current.strings[index if len(current.strings) > index else -1] += value
    finish()
    return entries


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def write_po(path: Path, entries: dict[str, Entry], *, template: bool) -> None:
    lines = ['msgid ""', f"msgstr {_quote('' if template else RU_HEADER)}", ""]
    for entry in sorted(entries.values(), key=lambda e: (e.where[:1] or ["~"], e.msgid)):
        lines += [f"#: {where}" for where in entry.where[:3]]
        lines.append(f"msgid {_quote(entry.msgid)}")
        if entry.plural is not None:
            lines.append(f"msgid_plural {_quote(entry.plural)}")
            strings = entry.strings if (entry.strings and not template) else ["", "", ""]
            lines += [f"msgstr[{i}] {_quote(s)}" for i, s in enumerate(strings)]
        else:
            lines.append(f"msgstr {_quote('' if template or not entry.strings else entry.strings[0])}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def merge() -> list[str]:
    """Refresh the template and ru.po; returns msgids that still lack a Russian text."""
    fresh = extract()
    write_po(POT, fresh, template=True)
    known = read_po(PO) if PO.exists() else {}
    for msgid, entry in fresh.items():
        if msgid in known and known[msgid].strings:
            entry.strings = known[msgid].strings
    write_po(PO, fresh, template=False)
    return [e.msgid for e in fresh.values() if not any(e.strings)]


# -- .mo -----------------------------------------------------------------------------


def compile_mo(entries: dict[str, Entry]) -> bytes:
    """GNU .mo bytes (what msgfmt writes), keys sorted so the output is reproducible."""
    catalog = {"": RU_HEADER}
    for entry in entries.values():
        if not entry.strings or not all(entry.strings):
            continue
        if entry.plural is not None:
            catalog[entry.msgid + "\0" + entry.plural] = "\0".join(entry.strings)
        else:
            catalog[entry.msgid] = entry.strings[0]
    keys = sorted(catalog)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(catalog[k].encode() + b"\0" for k in keys)
    count = len(keys)
    key_start = 7 * 4 + 16 * count
    value_start = key_start + len(ids)
    offsets, position = [], 0
    for key in keys:
        offsets += [len(key.encode()), key_start + position]
        position += len(key.encode()) + 1
    value_offsets, position = [], 0
    for key in keys:
        value = catalog[key].encode()
        value_offsets += [len(value), value_start + position]
        position += len(value) + 1
    header = struct.pack("Iiiiiii", 0x950412DE, 0, count, 7 * 4, 7 * 4 + count * 8, 0, 0)
    return (
        header
        + struct.pack(f"{2 * count}i", *offsets)
        + struct.pack(f"{2 * count}i", *value_offsets)
        + ids
        + strs
    )


def _fields(text: str) -> set[str]:
    """The replacement fields of a str.format template: "{id}", "{name!r}", "{}"."""
    try:
        return {
            f"{name}!{conversion}" if conversion else name
            for _, name, _, conversion in string.Formatter().parse(text)
            if name is not None
        }
    except ValueError as exc:
        return {f"<broken template: {exc}>"}


def check() -> list[str]:
    problems = []
    entries = read_po(PO)
    for msgid, source in extract().items():
        entry = entries.get(msgid)
        if entry is None or not entry.strings or not all(entry.strings):
            problems.append(f"not translated: {msgid!r}")
            continue
        if source.plural is not None and (entry.plural != source.plural or len(entry.strings) != 3):
            problems.append(f"needs its plural and three Russian forms (one, few, many): {msgid!r}")
        allowed = _fields(msgid) | _fields(source.plural or "")
        for text in entry.strings:
            if not _fields(text) <= allowed:
                problems.append(
                    f"placeholders {sorted(_fields(text) - allowed)} are not in the msgid: {msgid!r}"
                )
    if not MO.exists() or MO.read_bytes() != compile_mo(entries):
        problems.append(f"{MO.relative_to(ROOT)} is stale: run python tools/i18n.py compile")
    return problems


def main(command: str) -> int:
    if command == "extract":
        missing = merge()
        print(
            f"{POT.relative_to(ROOT)} and {PO.relative_to(ROOT)} refreshed; {len(missing)} msgids lack a translation"
        )
    elif command == "compile":
        MO.parent.mkdir(parents=True, exist_ok=True)
        MO.write_bytes(compile_mo(read_po(PO)))
        print(f"wrote {MO.relative_to(ROOT)}")
    elif command == "check":
        problems = check()
        print("\n".join(problems) or "catalogue complete and compiled")
        return 1 if problems else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
