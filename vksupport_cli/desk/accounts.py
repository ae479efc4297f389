"""Accounts and tokens: who may use the desk, and as whom."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Literal

from ..errors import BadInput, Conflict, NotAllowed, NotSignedIn
from ..i18n import _
from .inputs import NAME_MAX, clean_line
from .models import ROLES, User
from .records import DeskPart


def hash_token(token: str) -> str:
    """Tokens are stored hashed: a copy of the database gives nobody a login."""
    return hashlib.sha256(token.encode()).hexdigest()


def require_agent(user: User) -> None:
    if user.role != "agent":
        raise NotAllowed(_("Only a support agent can do this."))


class Accounts(DeskPart):
    def add_user(self, name: str, role: str = "user") -> tuple[User, str]:
        """Create an account; returns it with its API token (shown once, stored hashed)."""
        name = clean_line(name, "name", NAME_MAX)
        if role not in ROLES:
            raise BadInput(_("Role must be one of {choices}.").format(choices=", ".join(ROLES)))
        token = "vks_" + secrets.token_urlsafe(32)
        with self.store.write():
            self.store.lock(f"vksupport:user:{name}")
            if self._user_row("name = ?", name):
                raise Conflict(_("A user named {name!r} already exists.").format(name=name))
            user_id = self.store.insert(
                "INSERT INTO users (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                (name, role, hash_token(token), self._now()),
            )
        return User(user_id, name, role), token

    def ensure_user(self, name: str, role: str = "user") -> User:
        """The named account, created without a token if missing (the sandbox's people)."""
        name = clean_line(name, "name", NAME_MAX)
        if role not in ROLES:
            raise BadInput(_("Role must be one of {choices}.").format(choices=", ".join(ROLES)))
        row = self._user_row("name = ?", name)
        if row is None:
            with self.store.write():
                self.store.execute(
                    "INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (name) DO NOTHING",
                    (name, role, self._now()),
                )
            row = self._user_row("name = ?", name)
        return User(row["id"], row["name"], row["role"])

    def user_by_token(self, token: str) -> User:
        row = self._user_row("token_hash = ?", hash_token(token)) if token else None
        if row is None:
            raise NotSignedIn(_("The desk does not accept this token."))
        return User(row["id"], row["name"], row["role"])

    def _user_row(self, where: Literal["name = ?", "token_hash = ?"], *args: Any) -> Any:
        return self.store.execute(f"SELECT * FROM users WHERE {where}", args).fetchone()  # noqa: S608 - a literal
