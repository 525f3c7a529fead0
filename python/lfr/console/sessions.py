"""Logged-in sessions: held in the daemon's memory only, ended by idle time or age.

Why in memory: a session is a bearer credential; kept nowhere on disk, it cannot be copied
from a backup, and a daemon restart logs everyone out (the officers log in again). The cookie
carries a random token; the book keys sessions by the token's SHA-256, so not even a memory
dump of the book yields a usable cookie. Each session has its own CSRF token, which every
state-changing request must echo (header `X-CSRF-Token` or form field `csrf_token`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "lfr_session"
TLS_COOKIE = "__Host-lfr_session"  # the prefix makes browsers insist on Secure, Path=/, no Domain
MAX_SESSIONS = 10_000


@dataclass(slots=True)
class Session:
    key: str  # sha256 of the cookie's token
    user: str
    role: str
    csrf: str
    created: float
    last_seen: float

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, str(token))


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class SessionBook:
    def __init__(
        self, *, idle_s: float, max_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.idle_s = idle_s
        self.max_s = max_s
        self._clock = clock
        self._sessions: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def open(self, user: str, role: str) -> tuple[str, Session]:
        """A new session for a user who just logged in: (cookie token, session)."""
        self._prune()
        token = secrets.token_urlsafe(32)
        now = self._clock()
        session = Session(_key(token), user, role, secrets.token_urlsafe(32), now, now)
        self._sessions[session.key] = session
        return token, session

    def get(self, token: str | None, *, touch: bool = True) -> Session | None:
        """The live session of a cookie's token (None when unknown or expired). `touch`
        counts the request as activity; background polls and the event stream do not, so an
        unattended screen still logs out after the idle time."""
        if not token:
            return None
        session = self._sessions.get(_key(token))
        if session is None:
            return None
        now = self._clock()
        if self._expired(session, now):
            del self._sessions[session.key]
            return None
        if touch:
            session.last_seen = now
        return session

    def alive(self, session: Session) -> bool:
        """Still valid now (for long-lived streams, which check it as they go)."""
        if session.key not in self._sessions:
            return False
        if self._expired(session, self._clock()):
            self._sessions.pop(session.key, None)
            return False
        return True

    def close(self, session: Session) -> None:
        self._sessions.pop(session.key, None)

    def end_user(self, user: str) -> int:
        """End every session of `user` (disabled, or password changed); how many ended."""
        keys = [k for k, s in self._sessions.items() if s.user == user]
        for key in keys:
            del self._sessions[key]
        return len(keys)

    def _expired(self, session: Session, now: float) -> bool:
        return now - session.last_seen > self.idle_s or now - session.created > self.max_s

    def _prune(self) -> None:
        now = self._clock()
        for key in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[key]
        while len(self._sessions) >= MAX_SESSIONS:  # the oldest login goes first
            oldest = min(self._sessions.values(), key=lambda s: s.created)
            del self._sessions[oldest.key]
