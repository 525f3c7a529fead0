"""Where an HTTP endpoint listens, and whether that exposes it beyond this machine.

Every web endpoint of the daemon (the Prometheus `/metrics`, the operator console) names
cameras, watchlists or worse, so each listens on loopback unless its section says otherwise,
and each refuses a non-loopback address at start with the key to change, instead of quietly
serving the network. A setting is parsed and checked here once, for all of them, so the rules
and the messages are the same whichever section an operator edits.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from lfr.errors import ConfigError

LOOPBACK = "127.0.0.1"


class ListenError(ConfigError):
    """A listen setting that cannot be used. `key` is the setting relative to its section
    (`listen`), `message` why; a config section re-raises it as its own `Problem(key,
    message)` so the validator prefixes the section's path (`metrics.listen: ...`)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str
    port: int  # 0: the system picks a free port (tests)

    @property
    def is_loopback(self) -> bool:
        """Reachable from this machine only. A host name other than `localhost` counts as
        remote: it may resolve to any interface."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_listen(text: str, *, key: str = "listen") -> ListenAddress:
    """'127.0.0.1:9108', '[::1]:9108', 'localhost:9108', or a bare port '9108' (loopback).
    Port 0 lets the system choose. A ListenError naming `key` otherwise."""
    host, sep, port = text.strip().rpartition(":")
    if not sep:
        host, port = LOOPBACK, text.strip()
    bracketed = host.startswith("[") and host.endswith("]")
    if bracketed:
        host = host[1:-1]
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ListenError(key, f"must be 'host:port' with a port in 0..65535, got {text!r}")
    if ":" in host or bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            bracketed = False
        if not bracketed:
            raise ListenError(
                key,
                f"must be 'host:port' with an IPv6 host in brackets ('[::1]:9108'), got {text!r}",
            )
    return ListenAddress(host, int(port))


def check_exposure(
    address: ListenAddress,
    *,
    section: str,
    allow_remote: bool,
    tls: bool = False,
    remote_needs_tls: bool = False,
    key: str = "listen",
) -> None:
    """Refuse (ListenError on `key`) a non-loopback `address` unless `[section] allow_remote`
    is set; with `remote_needs_tls`, a non-loopback address also needs `tls` (an endpoint that
    takes passwords must never take them in clear text)."""
    if address.is_loopback:
        return
    if not allow_remote:
        raise ListenError(
            key,
            f"{address} is reachable from other machines and what it serves names cameras and "
            f"watchlists: listen on {LOOPBACK}, or set {section}.allow_remote = true to serve "
            "the network on purpose",
        )
    if remote_needs_tls and not tls:
        raise ListenError(
            key,
            f"{address} is reachable from other machines: it needs TLS (a certificate and its "
            f"key in [{section}]), or listen on {LOOPBACK}",
        )
