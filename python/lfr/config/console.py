"""[console]: the operator console's web server (`lfr.console`).

The section's presence turns the console on; without it `lfr-run` serves no web page. It
listens on loopback unless told otherwise; a non-loopback `listen` needs `allow_remote = true`
and TLS (`cert_file` and `key_file`): passwords, session cookies and faces never cross a
network in clear text. The listen address and the exposure rule are `lfr.http`'s, shared with
the metrics endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lfr.config.problem import Problem
from lfr.http import ListenAddress, ListenError, check_exposure, parse_listen


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    listen: str = "127.0.0.1:8080"  # host:port; port 0 picks a free one (tests)
    allow_remote: bool = False  # serve a non-loopback address (needs TLS too)
    cert_file: Path | None = None  # PEM certificate chain: serve HTTPS
    key_file: Path | None = None  # its PEM private key
    idle_timeout_s: float = 1800.0  # a session unused this long ends
    session_max_s: float = 43200.0  # and every session ends this long after its login

    def check(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            missing = "key_file" if self.key_file is None else "cert_file"
            raise Problem(missing, "cert_file and key_file go together (TLS needs both)")
        try:
            check_exposure(
                self.address,
                section="console",
                allow_remote=self.allow_remote,
                tls=self.tls,
                remote_needs_tls=True,
            )
        except ListenError as exc:
            raise Problem(exc.key, exc.message) from None
        if not 60 <= self.idle_timeout_s <= 86400:
            raise Problem("idle_timeout_s", f"must be in 60..86400, got {self.idle_timeout_s}")
        if not self.idle_timeout_s <= self.session_max_s <= 7 * 86400:
            raise Problem(
                "session_max_s",
                f"must be from idle_timeout_s to 7 days ({7 * 86400}), got {self.session_max_s}",
            )

    @property
    def address(self) -> ListenAddress:
        try:
            return parse_listen(self.listen)
        except ListenError as exc:
            raise Problem(exc.key, exc.message) from None

    @property
    def tls(self) -> bool:
        return self.cert_file is not None and self.key_file is not None
