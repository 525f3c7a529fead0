"""Who is on the other end of a connection: named TCP tokens and Unix peer credentials.

The actor the audit trail records for an adjudication comes from here, never from a field the
client sends: a Unix client is the OS user the kernel reports for its socket (SO_PEERCRED), a
TCP client is the name of the token it presented. Tokens are read once at start, so a missing,
short or world-readable file fails the start rather than the first client.
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
import pwd
import re
import socket as stdsocket
import struct
import time
from pathlib import Path

from lfr.errors import ConfigError

log = logging.getLogger(__name__)

MIN_TOKEN_LEN = 16
DEFAULT_TOKEN_NAME = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


class TokenBook:
    """Token name -> token bytes. `match` compares against every token in constant time per
    token and does not stop at the first hit, so timing reveals neither the token nor which
    name it belongs to."""

    def __init__(self, tokens: dict[str, bytes]) -> None:
        self._tokens = dict(tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._tokens))

    def token(self, name: str) -> bytes:
        return self._tokens[name]

    def match(self, presented: str) -> str | None:
        """The name of the token `presented` equals, or None."""
        given = presented.encode()
        found = None
        for name, token in self._tokens.items():
            if hmac.compare_digest(given, token):
                found = name
        return found

    @classmethod
    def load(cls, token_file: Path | None, tokens_file: Path | None) -> TokenBook:
        """`token_file` holds one token (named `default`); `tokens_file` holds `name:token`
        lines (blank lines and `#` comments allowed). Names and tokens must be unique."""
        tokens: dict[str, bytes] = {}
        if token_file is not None:
            tokens[DEFAULT_TOKEN_NAME] = _checked_token(
                _read_private(token_file, "socket.token_file").strip(),
                f"socket.token_file: token in {token_file}",
            )
        if tokens_file is not None:
            text = _read_private(tokens_file, "socket.tokens_file")
            named = 0
            for number, raw in enumerate(text.splitlines(), start=1):
                line = raw.strip()
                if not line or line.startswith(b"#"):
                    continue
                where = f"socket.tokens_file: {tokens_file} line {number}"
                name_bytes, sep, token = line.partition(b":")
                name = name_bytes.decode("ascii", "replace").strip()
                if not sep or not _NAME.match(name):
                    raise ConfigError(
                        f"{where}: expected 'name:token' with a name of 1-64 letters, digits, "
                        "'.', '_', '@' or '-'"
                    )
                if name in tokens:
                    raise ConfigError(f"{where}: the name {name!r} is used twice")
                token = _checked_token(token.strip(), f"{where}: token of {name!r}")
                if any(hmac.compare_digest(token, other) for other in tokens.values()):
                    raise ConfigError(f"{where}: the token of {name!r} is also another name's")
                tokens[name] = token
                named += 1
            if not named:
                raise ConfigError(f"socket.tokens_file: {tokens_file} names no token")
        return cls(tokens)


def _read_private(path: Path, key: str) -> bytes:
    try:
        st = os.stat(path)
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror or exc}") from None
    if st.st_mode & 0o077:
        raise ConfigError(f"{key}: {path} is readable by others; chmod 600 it")
    return data


def _checked_token(token: bytes, what: str) -> bytes:
    if len(token) < MIN_TOKEN_LEN:
        raise ConfigError(f"{what} is shorter than {MIN_TOKEN_LEN} characters")
    if any(c <= 0x20 or c == 0x7F for c in token):
        raise ConfigError(f"{what} contains whitespace or control characters")
    return token


def read_token(path: Path) -> bytes:
    """One token file (a client's `--token-file`), checked like the daemon's."""
    return TokenBook.load(path, None).token(DEFAULT_TOKEN_NAME)


def unix_peer_user(sock: stdsocket.socket | None) -> str:
    """The OS user on the other end of a Unix socket (its name; `uid:N` without a passwd
    entry). Where the kernel cannot say (no SO_PEERCRED), the socket's 0600 mode means the
    peer runs as the daemon's own user, so that user is named."""
    uid = os.getuid()
    peercred = getattr(stdsocket, "SO_PEERCRED", None)
    if sock is not None and peercred is not None:
        try:
            _, uid, _ = _PEERCRED.unpack(
                sock.getsockopt(stdsocket.SOL_SOCKET, peercred, _PEERCRED.size)
            )
        except OSError:
            uid = os.getuid()
    return _user_name(uid)


@functools.lru_cache(maxsize=64)
def _user_name(uid: int) -> str:
    """Cached: a name service lookup per connection could stall the event loop."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


class FailedAuthLog:
    """Logs failed authentications with the peer, at most `burst` lines per `window_s`, then
    one line with how many more were not logged: an attacker must not be able to fill the
    disk with our own log."""

    def __init__(self, *, burst: int = 10, window_s: float = 60.0) -> None:
        self._burst = burst
        self._window = window_s
        self._start = -window_s
        self._count = 0
        self.total = 0

    def failed(self, peer: str, reason: str) -> None:
        self.total += 1
        now = time.monotonic()
        if now - self._start >= self._window:
            if self._count > self._burst:
                log.warning(
                    "socket: %d more failed authentications not logged in the last %.0f s",
                    self._count - self._burst,
                    self._window,
                )
            self._start, self._count = now, 0
        self._count += 1
        if self._count <= self._burst:
            log.warning("socket: authentication failed from %s: %s", peer, reason)
