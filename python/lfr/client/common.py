"""What the blocking and the trio client share: where the daemon listens, the hello, and the
typed request methods (written once over an abstract `_call`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lfr.paths import home_dir
from lfr.protocol.messages import PROTOCOL_VERSION

Json = dict[str, Any]


def default_socket_path() -> Path:
    """`$LFR_SOCKET`, else `<data dir>/lfr.sock` (the daemon's default)."""
    value = os.environ.get("LFR_SOCKET")
    return Path(value) if value else home_dir() / "lfr.sock"


class Methods:
    """The typed request methods, written once: `_call` is sync or async in the subclasses, so
    each method returns what `_call` returns (a value, or an awaitable of it)."""

    def _call(self, kind: str, **fields: Any) -> Any:
        raise NotImplementedError

    def ping(self) -> Any:
        return self._call("ping")

    def status(self) -> Any:
        """Daemon status: cameras, states, rates, latencies, queue depths, alerts today."""
        return self._call("status")

    def cameras_list(self) -> Any:
        return self._call("cameras.list")

    def watchlists_list(self) -> Any:
        return self._call("watchlists.list")

    def watchlist_reload(self, name: str | None = None) -> Any:
        return self._call("watchlist.reload", name=name)

    def watchlist_publish(self, name: str, sites: list[str]) -> Any:
        """At a cluster hub: send the sealed watchlist to these sites."""
        return self._call("watchlist.publish", name=name, sites=list(sites))

    def watchlist_withdraw(self, name: str) -> Any:
        """At a cluster hub: take the watchlist back from every site."""
        return self._call("watchlist.withdraw", name=name)

    def alerts_list(self, since_seq: int = 0, limit: int = 100) -> Any:
        """Persisted alerts with seq > since_seq, oldest first."""
        return self._call("alerts.list", since_seq=since_seq, limit=limit)

    def alert_adjudicate(
        self, alert_id: str, verdict: str, by: str | None = None, note: str | None = None
    ) -> Any:
        """Record a verdict. The server records this connection's user (Unix) or token name
        (TCP) as who did it; `by` names the officer it was done for, when someone else."""
        return self._call("alert.adjudicate", alert_id=alert_id, verdict=verdict, by=by, note=note)

    def subscribe(self, topics: Sequence[str], since_seq: int | None = None) -> Any:
        """Start (or restart) topics; with since_seq, alerts after it are replayed first."""
        return self._call("subscribe", topics=list(topics), since_seq=since_seq)

    def unsubscribe(self, topics: Sequence[str]) -> Any:
        return self._call("unsubscribe", topics=list(topics))

    def ack(self, topic: str, seq: int) -> Any:
        return self._call("ack", topic=topic, seq=seq)


def hello_fields(name: str) -> Json:
    return {"version": PROTOCOL_VERSION, "client": name}
