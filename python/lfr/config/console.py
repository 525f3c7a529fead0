"""[console]: the operator console's web server (`lfr.console`).

The section's presence turns the console on; without it `lfr-run` serves no web page. A
non-loopback `listen` must come with TLS (`cert_file` and `key_file`): passwords, session
cookies and faces never cross a network in clear text.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from lfr.config.problem import Problem


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    listen: str = "127.0.0.1:8080"  # host:port; port 0 picks a free one (tests)
    cert_file: Path | None = None  # PEM certificate chain: serve HTTPS
    key_file: Path | None = None  # its PEM private key
    idle_timeout_s: float = 1800.0  # a session unused this long ends
    session_max_s: float = 43200.0  # and every session ends this long after its login

    def check(self) -> None:
        host, _port = listen_address(self.listen)
        if (self.cert_file is None) != (self.key_file is None):
            missing = "key_file" if self.key_file is None else "cert_file"
            raise Problem(missing, "cert_file and key_file go together (TLS needs both)")
        if not self.tls and not _loopback(host):
            raise Problem(
                "listen",
                f"{self.listen} is reachable from other machines: set console.cert_file and "
                "console.key_file (TLS), or listen on 127.0.0.1",
            )
        if not 60 <= self.idle_timeout_s <= 86400:
            raise Problem("idle_timeout_s", f"must be in 60..86400, got {self.idle_timeout_s}")
        if not self.idle_timeout_s <= self.session_max_s <= 7 * 86400:
            raise Problem(
                "session_max_s",
                f"must be from idle_timeout_s to 7 days ({7 * 86400}), got {self.session_max_s}",
            )

    @property
    def tls(self) -> bool:
        return self.cert_file is not None and self.key_file is not None


def listen_address(text: str) -> tuple[str, int]:
    """'127.0.0.1:8080' or '[::1]:8080' -> (host, port); port 0 lets the system choose."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise Problem("listen", f"must be 'host:port' with a port in 0..65535, got {text!r}")
    return host, int(port)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere
