"""Accounts, roles, browser sessions and API tokens, kept in the state database.

Passwords are hashed with argon2 (pwdlib). Session and API tokens are random 256-bit
strings handed out once; only their sha256 is stored, so a copy of the database opens
no account. Failed logins are counted per address and per account name: past
``MAX_FAILURES`` in ``FAILURE_WINDOW`` seconds every attempt is refused before any
password is checked.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pwdlib import PasswordHash

from archive import BantinError, ExitCode, IssueRecord
from bantin.state import State

SESSION_SECONDS = 7 * 24 * 3600  # a browser stays signed in a week, then signs in again
MAX_FAILURES = 10
FAILURE_WINDOW = 60.0
MIN_PASSWORD = 8
NAME = re.compile(r"[\w.@-]{1,64}")
TOKEN_PREFIX = "bantin_"
ANONYMOUS = ("public", "none")  # what visitors who are not signed in see: public issues, or nothing


class Role(StrEnum):
    reader = "reader"  # searches and reads every issue, internal ones too
    archivist = "archivist"  # also ingests, edits, corrects, sees the reports
    admin = "admin"  # also manages accounts


class AccountError(BantinError):
    """A name, role or password the accounts do not take."""

    exit_code = ExitCode.bad_account


class TooManyFailures(BantinError):
    """Logins from this address or for this account are refused for a while."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: Role

    @property
    def archivist(self) -> bool:
        return self.role in (Role.archivist, Role.admin)


@dataclass(frozen=True)
class Account:
    """A user as ``bantin user list`` shows it."""

    name: str
    role: Role
    created: str
    tokens: int


@dataclass(frozen=True)
class Token:
    id: int
    label: str
    created: str


@dataclass(frozen=True)
class Viewer:
    """Who asks: a signed-in user, or an anonymous visitor (``user`` None) who may see
    public issues (``anonymous_public``) or nothing."""

    user: User | None = None
    anonymous_public: bool = True

    def sees(self, record: IssueRecord) -> bool:
        if self.user is not None:
            return True
        return self.anonymous_public and record.visibility == "public"

    @property
    def archivist(self) -> bool:
        return self.user is not None and self.user.archivist


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Accounts:
    state: State
    hasher: PasswordHash
    _decoy_hash: str | None = None

    @classmethod
    def of(cls, state: State) -> Accounts:
        return cls(state, PasswordHash.recommended())

    # -- managing accounts (bantin user ...) ------------------------------------------------

    def add(self, name: str, role: str, password: str) -> User:
        name = _check_name(name)
        self._check_password(password)
        db = self.state.db()
        if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"user {name} exists already")
        cursor = db.execute("INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
                            (name, _role(role), self.hasher.hash(password), _now()))
        return User(int(cursor.lastrowid or 0), name, Role(role))

    def set_password(self, name: str, password: str) -> None:
        """A new password ends the account's browser sessions."""
        user = self.user(name)
        self._check_password(password)
        db = self.state.db()
        db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (self.hasher.hash(password), user.id))
        db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))

    def set_role(self, name: str, role: str) -> None:
        self.state.db().execute("UPDATE users SET role = ? WHERE id = ?", (_role(role), self.user(name).id))

    def remove(self, name: str) -> None:
        """The account, its sessions and its tokens."""
        self.state.db().execute("DELETE FROM users WHERE id = ?", (self.user(name).id,))

    def user(self, name: str) -> User:
        row = self.state.db().execute("SELECT id, name, role FROM users WHERE name = ?",
                                      (_nfc(name),)).fetchone()
        if row is None:
            raise AccountError(f"no user {name}")
        return User(row[0], row[1], Role(row[2]))

    def accounts(self) -> list[Account]:
        rows = self.state.db().execute(
            "SELECT name, role, users.created, count(tokens.id) FROM users "
            "LEFT JOIN tokens ON tokens.user_id = users.id GROUP BY users.id ORDER BY name").fetchall()
        return [Account(name, Role(role), created, tokens) for name, role, created, tokens in rows]

    # -- API tokens ------------------------------------------------------------------------

    def new_token(self, name: str, label: str = "") -> tuple[Token, str]:
        """A new API token: its record, and the token itself, which is never shown again."""
        user = self.user(name)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        created = _now()
        cursor = self.state.db().execute(
            "INSERT INTO tokens (user_id, token_hash, label, created) VALUES (?, ?, ?, ?)",
            (user.id, _digest(secret), label, created))
        return Token(int(cursor.lastrowid or 0), label, created), secret

    def tokens(self, name: str) -> list[Token]:
        rows = self.state.db().execute("SELECT id, label, created FROM tokens WHERE user_id = ? ORDER BY id",
                                       (self.user(name).id,)).fetchall()
        return [Token(*row) for row in rows]

    def revoke_token(self, token_id: int) -> None:
        if not self.state.db().execute("DELETE FROM tokens WHERE id = ?", (token_id,)).rowcount:
            raise AccountError(f"no token {token_id}")

    def token_user(self, secret: str) -> User | None:
        row = self.state.db().execute(
            "SELECT users.id, name, role FROM tokens JOIN users ON users.id = tokens.user_id "
            "WHERE token_hash = ?", (_digest(secret),)).fetchone()
        return User(row[0], row[1], Role(row[2])) if row else None

    # -- signing in ------------------------------------------------------------------------

    def login(self, name: str, password: str, address: str) -> User | None:
        """The user, when the password is theirs; None otherwise (counted as a failure).
        Raises TooManyFailures past the limit, whatever the password."""
        keys = (f"address:{address}", f"name:{_nfc(name)}")
        db = self.state.db()
        now = time.time()
        for key in keys:
            failures = db.execute("SELECT count(*) FROM login_failures WHERE key = ? AND at > ?",
                                  (key, now - FAILURE_WINDOW)).fetchone()[0]
            if failures >= MAX_FAILURES:
                raise TooManyFailures("too many failed logins")
        row = db.execute("SELECT id, name, role, password_hash FROM users WHERE name = ?",
                         (_nfc(name),)).fetchone()
        # an unknown name costs a hash too: the time taken does not tell which names exist
        valid, updated = self.hasher.verify_and_update(password, row[3] if row else self._decoy())
        if row is None or not valid:
            db.execute("DELETE FROM login_failures WHERE at < ?", (now - FAILURE_WINDOW,))
            db.executemany("INSERT INTO login_failures (key, at) VALUES (?, ?)", [(k, now) for k in keys])
            return None
        if updated is not None:  # hashed with older parameters: stored anew
            db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (updated, row[0]))
        return User(row[0], row[1], Role(row[2]))

    def start_session(self, user: User) -> str:
        """A new session's token, for the browser's cookie."""
        secret = secrets.token_urlsafe(32)
        db = self.state.db()
        db.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
        db.execute("INSERT INTO sessions (token_hash, user_id, expires) VALUES (?, ?, ?)",
                   (_digest(secret), user.id, time.time() + SESSION_SECONDS))
        return secret

    def session_user(self, secret: str) -> User | None:
        """The session's user as the accounts stand now (a changed role counts at once)."""
        row = self.state.db().execute(
            "SELECT users.id, name, role FROM sessions JOIN users ON users.id = sessions.user_id "
            "WHERE token_hash = ? AND expires > ?", (_digest(secret), time.time())).fetchone()
        return User(row[0], row[1], Role(row[2])) if row else None

    def end_session(self, secret: str) -> None:
        self.state.db().execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(secret),))

    def _check_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password needs {MIN_PASSWORD} characters at least")

    def _decoy(self) -> str:
        if self._decoy_hash is None:
            self._decoy_hash = self.hasher.hash(secrets.token_hex(16))
        return self._decoy_hash


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip())


def _check_name(name: str) -> str:
    name = _nfc(name)
    if not NAME.fullmatch(name):
        raise AccountError(f"{name!r}: a user name is 1 to 64 letters, digits, '.', '@', '_' or '-'")
    return name


def _role(role: str) -> str:
    if role not in Role.__members__:
        raise AccountError(f"{role!r}: the roles are {', '.join(Role)}")
    return role
