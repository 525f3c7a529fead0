"""`[socket]`: where the integrator socket listens and how much it tolerates from each client.

This dataclass is the one definition of the socket's settings: `lfr.config.validate` reads its
annotations to refuse unknown or mistyped keys, the server (`lfr.protocol.server`) takes it as
it is, and the table in docs/protocol.md is tested against its fields. `parse_host_port` is
the one grammar of a TCP address, for the daemon's `tcp` key and the clients' `--tcp`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from lfr.config.problem import Problem
from lfr.errors import ConfigError
from lfr.http import ListenAddress, ListenError, parse_listen

MIB = 1024 * 1024
KIB = 1024


@dataclass(frozen=True, slots=True)
class SocketConfig:
    unix: str = "lfr.sock"  # relative to data_dir unless absolute
    tcp: str | None = None  # "host:port"; needs token_file or tokens_file
    allow_remote: bool = False  # let `tcp` name a non-loopback address
    token_file: str | None = None  # one token, named `default`; relative to data_dir
    tokens_file: str | None = None  # `name:token` lines; relative to data_dir
    max_frame_bytes: int = MIB
    queue_size: int = 1024  # events queued per subscription before `lagged`
    max_clients: int = 256  # connections of any kind
    unix_reserved: int = 16  # of max_clients, slots only Unix clients may take
    max_unauthenticated: int = 16  # TCP connections still before their `auth`
    preauth_frame_bytes: int = 4 * KIB  # frame limit before `auth`
    auth_timeout_s: float = 2.0  # a TCP client must authenticate within this
    auth_failure_delay_s: float = 1.0  # a wrong token is answered after this pause
    handshake_timeout_s: float = 10.0  # `hello` (after `auth`) within this
    send_timeout_s: float = 10.0  # a write blocked this long disconnects the client
    max_lag_episodes: int = 3  # more lagged episodes than this in lag_window_s: drop
    lag_window_s: float = 60.0
    alert_poll_s: float = 0.5  # how often alerts other processes stored are looked for

    def check(self) -> None:
        if not self.unix:
            raise Problem("unix", "must not be empty")
        for key in ("token_file", "tokens_file"):
            if getattr(self, key) == "":
                raise Problem(key, "must not be empty")
        if self.tcp is not None:
            host, _ = parse_host_port(self.tcp, key="tcp")
            if not (self.token_file or self.tokens_file):
                raise Problem(
                    "token_file",
                    "is required when socket.tcp is set (or socket.tokens_file): TCP needs "
                    "a token, there is no unauthenticated network access",
                )
            if not self.allow_remote and not is_loopback(host):
                raise Problem(
                    "tcp",
                    f"{host} is not a loopback address; set socket.allow_remote = true to "
                    "listen beyond this machine",
                )
        if not 1 * KIB <= self.max_frame_bytes <= 64 * MIB:
            raise Problem(
                "max_frame_bytes", f"must be in [1024, {64 * MIB}], got {self.max_frame_bytes}"
            )
        if not 64 <= self.preauth_frame_bytes <= self.max_frame_bytes:
            raise Problem(
                "preauth_frame_bytes",
                f"must be in [64, max_frame_bytes], got {self.preauth_frame_bytes}",
            )
        for key in ("queue_size", "max_clients", "max_unauthenticated", "max_lag_episodes"):
            if getattr(self, key) < 1:
                raise Problem(key, f"must be at least 1, got {getattr(self, key)}")
        if not 0 <= self.unix_reserved < self.max_clients:
            raise Problem(
                "unix_reserved",
                f"must be in [0, max_clients), got {self.unix_reserved}",
            )
        for key in (
            "auth_timeout_s",
            "handshake_timeout_s",
            "send_timeout_s",
            "lag_window_s",
            "alert_poll_s",
        ):
            if not getattr(self, key) > 0:
                raise Problem(key, f"must be > 0, got {getattr(self, key)}")
        if self.auth_failure_delay_s < 0:
            raise Problem("auth_failure_delay_s", f"must be >= 0, got {self.auth_failure_delay_s}")

    def validated(self) -> SocketConfig:
        """`self`, checked; a problem is a ConfigError naming the `socket.` key."""
        try:
            self.check()
        except Problem as exc:
            raise ConfigError(f"socket.{exc.key}: {exc.message}") from None
        return self

    def unix_path(self, data_dir: Path) -> Path:
        return Path(data_dir) / self.unix

    def token_path(self, data_dir: Path) -> Path | None:
        return None if self.token_file is None else Path(data_dir) / self.token_file

    def tokens_path(self, data_dir: Path) -> Path | None:
        return None if self.tokens_file is None else Path(data_dir) / self.tokens_file

    def tcp_address(self) -> tuple[str, int] | None:
        return None if self.tcp is None else parse_host_port(self.tcp, key="tcp")

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """Every `[socket]` key, in declaration order (what the docs must list)."""
        return tuple(f.name for f in fields(cls))


def parse_host_port(text: str, *, key: str = "tcp") -> tuple[str, int]:
    """'127.0.0.1:7878', 'localhost:7878' or '[::1]:7878' -> (host, port); port 0 asks the
    system for a free one. A `Problem` on `key` otherwise (the grammar is `lfr.http`'s, shared
    by every listening setting)."""
    try:
        address = parse_listen(text, key=key)
    except ListenError as exc:
        raise Problem(exc.key, exc.message) from None
    return address.host, address.port


def is_loopback(host: str) -> bool:
    return ListenAddress(host, 0).is_loopback
