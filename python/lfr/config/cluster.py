"""[cluster]: how one site's daemon joins the others over NATS JetStream.

An `edge` watches cameras and publishes its alerts; the `hub` has no cameras and gathers every
edge's alerts for the control room. Without the section (no `role`) the daemon stands alone,
exactly as before. The section is checked here, whole, so a typo in a site name or a TLS file
is an error at start naming the key, not a link that silently never comes up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lfr.config.problem import Problem

ROLES = ("edge", "hub")
# One NATS subject token and one KV key: no dots, no wildcards, no spaces.
SITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    role: str | None = None  # None: stand-alone; "edge" or "hub"
    url: str = "nats://127.0.0.1:4222"
    site: str | None = None  # an edge's name (a van, a fixed site); the hub's defaults to "hub"
    sites: list[str] = field(default_factory=list)  # the hub's known edges
    token_file: Path | None = None
    creds_file: Path | None = None
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # HMAC-SHA256 over every alert message with this shared key; the hub refuses unsigned or
    # badly signed ones. None: messages are trusted as far as NATS' own authentication goes.
    signing_key_file: Path | None = None
    heartbeat_s: float = 2.0
    # The NATS copy of alerts may be kept shorter than retention.alerts_days, never longer:
    # None means exactly the retention (seconds are for tests and drills).
    max_age_s: float | None = None
    connect_timeout_s: float = 2.0

    def check(self) -> None:
        if self.role is None:
            return
        if self.role not in ROLES:
            raise Problem("role", f"must be one of {', '.join(ROLES)}, got {self.role!r}")
        if not self.url.startswith(("nats://", "tls://")):
            raise Problem("url", f"must be a nats:// or tls:// URL, got {self.url!r}")
        if self.role == "edge" and not self.site:
            raise Problem("site", "is required for an edge (the name the hub knows it by)")
        for i, name in enumerate([self.site_name, *self.sites]):
            if not SITE_NAME.match(name):
                key = "site" if i == 0 else f"sites[{i - 1}]"
                raise Problem(
                    key, f"must be 1-64 letters, digits, '_' or '-' (no dots), got {name!r}"
                )
        if self.role == "hub" and not self.sites:
            raise Problem("sites", "a hub needs the list of its edges' site names")
        if self.token_file is not None and self.creds_file is not None:
            raise Problem("creds_file", "give token_file or creds_file, not both")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise Problem("tls_key_file", "tls_cert_file and tls_key_file go together")
        for key in (
            "token_file",
            "creds_file",
            "tls_ca_file",
            "tls_cert_file",
            "tls_key_file",
            "signing_key_file",
        ):
            path = getattr(self, key)
            if path is not None and not Path(path).is_file():
                raise Problem(key, f"no such file: {path}")
        if not 0.1 <= self.heartbeat_s <= 3600:
            raise Problem("heartbeat_s", f"must be in [0.1, 3600], got {self.heartbeat_s}")
        if self.max_age_s is not None and not self.max_age_s >= 1.0:
            raise Problem("max_age_s", f"must be at least 1 s, got {self.max_age_s}")
        if not 0.1 <= self.connect_timeout_s <= 60:
            raise Problem(
                "connect_timeout_s", f"must be in [0.1, 60], got {self.connect_timeout_s}"
            )

    @property
    def enabled(self) -> bool:
        return self.role is not None

    @property
    def site_name(self) -> str:
        """This daemon's site: the edge's `site`, the hub's `site` or "hub"."""
        return self.site or "hub"

    def stream_max_age_s(self, alerts_days: int) -> float:
        """How long JetStream keeps an alert: the retention, or less when `max_age_s` says."""
        retention = alerts_days * 86_400.0
        return retention if self.max_age_s is None else min(self.max_age_s, retention)
