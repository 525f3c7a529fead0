"""Console accounts: a name, a role, a password hash, and whether the account may log in.

Why a memory-hard hash: whoever copies `lfr.db` must not be able to try billions of guesses a
second against an officer's password. scrypt (standard library, RFC 7914) costs 32 MiB and
about a tenth of a second per guess at the parameters below (OWASP's N=2^15, r=8, p=3); they
are stored with each hash, so raising them later does not lock anyone out: a hash made with
older parameters is still verified with its own.

Every change (account added, disabled, enabled, password changed) is audited in the same
transaction as the change, with the actor who made it. A password is never logged or audited.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass

from lfr.store.audit import AuditLog
from lfr.store.db import Database
from lfr.store.errors import StoreError

ROLES = ("officer", "supervisor", "auditor")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_SCHEME = "scrypt"
_N, _R, _P = 2**15, 8, 3
_SALT_BYTES, _KEY_BYTES = 16, 32


class UserError(StoreError):
    """An account operation cannot be done as asked (bad name, role or password)."""


class UserNotFound(UserError):
    """No account of that name."""


class UserExists(UserError):
    """An account of that name exists already."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    disabled: bool
    created_at: float
    updated_at: float
    password_changed_at: float


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise UserError(
            f"invalid user name {name!r}: 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError(f"a password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if password != password.strip():
        raise UserError("a password must not start or end with white space")
    return password


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$key` (salt and key base64): parameters travel with the hash."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, _N, _R, _P)
    return "$".join((_SCHEME, str(_N), str(_R), str(_P), _b64(salt), _b64(key)))


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`; False for a wrong one or a malformed hash."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(key, validate=True)
        actual = _scrypt(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r + 1024 * 1024,  # 128*N*r bytes needed, with room to spare
        dklen=_KEY_BYTES,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@functools.cache
def _decoy() -> str:
    """A hash of nothing anybody knows: checked when the name is unknown, so a login takes as
    long for a missing account as for a wrong password and does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(24))


_COLUMNS = "name, role, disabled, created_at, updated_at, password_changed_at"


def _user(row: tuple) -> User:
    return User(row[0], row[1], bool(row[2]), row[3], row[4], row[5])


class Users:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    def add(self, name: str, role: str, password: str, *, actor: str) -> User:
        check_name(name)
        check_role(role)
        digest = hash_password(check_password(password))  # outside the write lock: it is slow
        now = time.time()
        with self._db.transaction() as conn:
            try:
                conn.execute(
                    f"INSERT INTO users ({_COLUMNS}, password_hash) VALUES (?, ?, 0, ?, ?, ?, ?)",
                    (name, role, now, now, now, digest),
                )
            except sqlite3.IntegrityError:
                raise UserExists(f"user {name!r} exists already") from None
            self._audit.append("user.add", actor, {"user": name, "role": role})
        return self.get(name)

    def get(self, name: str) -> User:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise UserNotFound(f"no user {name!r}")
        return _user(row)

    def all(self) -> list[User]:
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM users ORDER BY name").fetchall()
        return [_user(r) for r in rows]

    def set_disabled(self, name: str, disabled: bool, *, actor: str) -> User:
        """Disable (or enable again) an account; a disabled account cannot log in, and the
        console ends its sessions at their next request."""
        with self._db.transaction() as conn:
            self._require(conn, name)
            conn.execute(
                "UPDATE users SET disabled = ?, updated_at = ? WHERE name = ?",
                (int(disabled), time.time(), name),
            )
            self._audit.append("user.disable" if disabled else "user.enable", actor, {"user": name})
        return self.get(name)

    def set_password(self, name: str, password: str, *, actor: str) -> User:
        digest = hash_password(check_password(password))
        now = time.time()
        with self._db.transaction() as conn:
            self._require(conn, name)
            conn.execute(
                "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? "
                "WHERE name = ?",
                (digest, now, now, name),
            )
            self._audit.append("user.passwd", actor, {"user": name})
        return self.get(name)

    def authenticate(self, name: str, password: str) -> User | None:
        """The account when `password` is its password and it is enabled, else None. Takes
        one scrypt whether or not the account exists."""
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS}, password_hash FROM users WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            verify_password(password, _decoy())
            return None
        if not verify_password(password, row[6]) or row[2]:
            return None
        return _user(row[:6])

    @staticmethod
    def _require(conn: sqlite3.Connection, name: str) -> None:
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is None:
            raise UserNotFound(f"no user {name!r}")
