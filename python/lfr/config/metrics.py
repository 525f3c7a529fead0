"""[metrics]: the Prometheus endpoint (`GET /metrics`, `lfr.daemon.metrics`)."""

from __future__ import annotations

from dataclasses import dataclass

from lfr.config.problem import Problem
from lfr.http import ListenAddress, ListenError, check_exposure, parse_listen


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    """[metrics]: the Prometheus endpoint (`GET /metrics`); the section's presence turns it on.
    What it serves names cameras and watchlists, so it listens on loopback, and a non-loopback
    address is refused unless `allow_remote = true` says serving the network is meant."""

    listen: str = "127.0.0.1:9108"  # host:port; port 0 picks a free one (tests)
    allow_remote: bool = False

    def check(self) -> None:
        self.address()

    def address(self) -> ListenAddress:
        try:
            address = parse_listen(self.listen)
            check_exposure(address, section="metrics", allow_remote=self.allow_remote)
        except ListenError as exc:
            raise Problem(exc.key, exc.message) from None
        return address
