"""Where a desk's API token comes from, and where it is kept.

Precedence: ``VKSUPPORT_TOKEN`` in the environment (scripts, CI), then the
plain file the user explicitly opted into (``--insecure-storage``, mode 0600),
then the OS keyring, one entry per server URL. keyring is imported only here,
only when needed: importing it and discovering its backend costs ~200 ms.

A token is never printed, logged, put in a message or an exception, or on
argv; ``Token`` keeps it out of ``repr`` too.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import paths
from .errors import DeskError, NotSignedIn
from .i18n import _

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

TOKEN_ENV = "VKSUPPORT_TOKEN"  # noqa: S105 - the variable's name, not a token
KEYRING_SERVICE = "vksupport"


class KeyringUnavailable(DeskError):
    """No usable OS keyring (none installed, locked, or it refused)."""

    code = "keyring_unavailable"


@dataclass(frozen=True)
class Token:
    value: str = field(repr=False)
    source: str  # "environment", "keyring", or "file"
    where: str  # the environment variable, the keyring backend, or the file's path


def plain_file() -> Path:
    return paths.config_dir() / "credentials.json"


def find(server: str) -> Token | None:
    """The token to use for ``server``, or None when there is none anywhere."""
    value = os.environ.get(TOKEN_ENV, "").strip()
    if value:
        return Token(value, "environment", TOKEN_ENV)
    stored = _read_plain().get(server)
    if stored:
        return Token(stored, "file", str(plain_file()))
    try:
        backend = _keyring()
    except NoBackend:
        return None  # nothing can be stored where there is no keyring
    try:
        kept = backend.get_password(KEYRING_SERVICE, server)
    except Exception as exc:  # noqa: BLE001 - locked, dismissed, broken: all mean "cannot read it"
        raise NotSignedIn(
            _(
                "Cannot read your token from the OS keyring ({reason}); unlock the keyring and try again, or set {variable}."
            ).format(reason=_reason(exc), variable=TOKEN_ENV)
        ) from None
    return Token(kept, "keyring", _backend_name(backend)) if kept else None


def store(server: str, token: str, *, insecure_storage: bool = False) -> Token:
    """Keep ``token`` for ``server``: in the keyring, or in the plain file if asked to."""
    if insecure_storage:
        tokens = _read_plain()
        tokens[server] = token
        _write_plain(tokens)
        return Token(token, "file", str(plain_file()))
    try:
        backend = _keyring()
        backend.set_password(KEYRING_SERVICE, server, token)
    except Exception as exc:  # noqa: BLE001 - every keyring failure has the same ways out
        raise KeyringUnavailable(
            _(
                "No usable OS keyring to keep the token in ({reason}). Either set {variable} (with "
                "VKSUPPORT_SERVER or --server naming the desk) in the environment, or sign in with "
                "--insecure-storage to keep the token in a file readable only by you."
            ).format(reason=_reason(exc), variable=TOKEN_ENV)
        ) from None
    return Token(token, "keyring", _backend_name(backend))


def forget(server: str) -> list[tuple[str, str]]:
    """Remove the token for ``server`` from the file and the keyring: [(source, where)].

    Raises ``KeyringUnavailable`` when the keyring exists but cannot be read or
    changed (locked, dismissed, broken): the token may still be there, and
    saying "nothing to remove" would be a lie.
    """
    removed = []
    tokens = _read_plain()
    if tokens.pop(server, None) is not None:
        _write_plain(tokens)
        removed.append(("file", str(plain_file())))
    try:
        backend = _keyring()
    except NoBackend:
        return removed  # nothing can be stored where there is no keyring
    try:
        if backend.get_password(KEYRING_SERVICE, server) is not None:
            backend.delete_password(KEYRING_SERVICE, server)
            removed.append(("keyring", _backend_name(backend)))
    except Exception as exc:  # noqa: BLE001 - locked, dismissed, broken: the token may still be stored
        raise KeyringUnavailable(
            _(
                "Could not remove the token for {url} from the OS keyring ({reason}); it may still be stored. "
                "Unlock the keyring and run `vksupport auth logout` again."
            ).format(url=server, reason=_reason(exc)),
            removed=[source for source, _where in removed],
        ) from None
    return removed


class NoBackend(RuntimeError):
    """keyring found no backend at all (its ``fail`` keyring)."""


def _keyring() -> KeyringBackend:
    import keyring

    backend = keyring.get_keyring()
    if type(backend).__module__.startswith("keyring.backends.fail"):
        raise NoBackend(_("no keyring backend is installed or running"))
    return backend


def _backend_name(backend: KeyringBackend) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def _reason(exc: Exception) -> str:
    text = str(exc).strip().split("\n")[0][:200]
    return text or exc.__class__.__name__


def _read_plain() -> dict[str, str]:
    path = plain_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}
    return (
        {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(data, dict)
        else {}
    )


def _write_plain(tokens: dict[str, str]) -> None:
    path = plain_file()
    paths.ensure_private_dir(path.parent)
    if not tokens:
        path.unlink(missing_ok=True)
        return
    temporary = path.with_suffix(".tmp")
    # Created 0600 from the first byte: the token is never readable by others, even briefly.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(tokens, handle, indent=2)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
