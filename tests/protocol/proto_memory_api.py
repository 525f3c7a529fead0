"""`MemoryDaemonApi`: an in-memory DaemonApi for the protocol tests, used where a real
`lfr.store.Store` is not available. Alerts live in an `AlertLog`, which the tests keep across a
simulated daemon restart (a new hub and server, the same persisted alerts), exactly as the
store does across a real restart. It persists before publishing, like the daemon must.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import trio

from lfr.protocol.api import ConflictError, InvalidArgumentError, NotFoundError, Wire
from lfr.protocol.hub import EventHub

VERDICTS = ("confirmed", "false_positive", "unsure")


@dataclass
class AlertLog:
    """The 'persisted' alerts: seq strictly increasing, never reused."""

    alerts: list[dict[str, Any]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def record(self, camera: str = "cam1", identity: str = "id-1", score: float = 0.7) -> dict:
        alert = {
            "seq": next(self._seq),
            "alert_id": str(uuid.uuid4()),
            "camera": camera,
            "ts": time.time(),
            "watchlist": "wl",
            "identity": identity,
            "label": None,
            "score": score,
            "threshold": 0.363,
            "track_id": 1,
            "latency_ms": 12.5,
            "verdict": None,
        }
        self.alerts.append(alert)
        return alert

    def since(self, seq: int, limit: int) -> list[dict[str, Any]]:
        return [dict(a) for a in self.alerts if a["seq"] > seq][:limit]


class MemoryDaemonApi:
    def __init__(self, log: AlertLog | None = None, hub: EventHub | None = None) -> None:
        self.log = log or AlertLog()
        self.hub = hub
        self.reloads: list[str | None] = []
        self.replay_delay = 0.0  # lets a test publish while a replay is in progress

    def emit(self, **kwargs: Any) -> dict[str, Any]:
        """Persist an alert, then publish it (the daemon's order)."""
        alert = self.log.record(**kwargs)
        if self.hub is not None:
            self.hub.publish("alerts", alert, seq=alert["seq"])
        return alert

    async def status(self) -> Wire:
        return {
            "version": "test",
            "uptime_s": 1.0,
            "alerts_today": len(self.log.alerts),
            "last_alert_seq": self.log.alerts[-1]["seq"] if self.log.alerts else 0,
            "cameras": await self.cameras_list(),
            "queues": {"alerts": 0},
            "latency_ms": {"glass_to_alert": {"p50": 80.0, "p99": 150.0}},
        }

    async def cameras_list(self) -> Sequence[Wire]:
        return [
            {
                "id": "cam1",
                "state": "LIVE",
                "watchlist": "wl",
                "fps_in": 25.0,
                "fps_analysed": 10.0,
                "frames": 100,
                "dropped": 3,
                "queue_depth": 0,
                "latency_ms": {"p50": 80.0, "p99": 150.0},
                "reconnects": 0,
                "last_error": None,
            }
        ]

    async def watchlists_list(self) -> Sequence[Wire]:
        return [{"name": "wl", "content_hash": "abc", "identities": 2, "threshold": None}]

    async def watchlist_reload(self, name: str | None) -> Wire:
        if name not in (None, "wl"):
            raise NotFoundError(f"no watchlist named {name!r}")
        self.reloads.append(name)
        return {"reloaded": ["wl"]}

    async def alerts_list(self, since_seq: int, limit: int) -> Sequence[Wire]:
        return self.log.since(since_seq, limit)

    async def alert_adjudicate(
        self,
        alert_id: str,
        verdict: str,
        *,
        actor: str,
        on_behalf_of: str | None = None,
        note: str | None = None,
    ) -> Wire:
        by = on_behalf_of or actor
        if verdict not in VERDICTS:
            raise InvalidArgumentError(f"verdict must be one of {', '.join(VERDICTS)}")
        for alert in self.log.alerts:
            if alert["alert_id"] == alert_id:
                if alert["verdict"] not in (None, verdict):
                    raise ConflictError(f"alert {alert_id} is already {alert['verdict']}")
                alert.update(verdict=verdict, by=by, note=note)
                return dict(alert)
        raise NotFoundError(f"no alert {alert_id}")

    async def alerts_since(self, seq: int, limit: int) -> Sequence[Mapping[str, Any]]:
        if self.replay_delay:
            await trio.sleep(self.replay_delay)
        return [
            {k: v for k, v in a.items() if k not in ("by", "note")}
            for a in self.log.since(seq, limit)
        ]
