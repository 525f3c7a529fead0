"""The daemon as the socket sees it: `lfr.protocol.api.DaemonApi` over the engine and store.

The store-backed requests (alerts, verdicts, replay, watchlist checks) are the protocol's own
`StoreDaemonApi`; this adds what only the running daemon knows (cameras, rates, latencies,
loaded watchlists, reload) and publishes alerts in the pipeline's wire shape.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from lfr.daemon.store_api import StoreDaemonApi
from lfr.pipeline.alerts import alert_wire
from lfr.pipeline.latency import rounded
from lfr.protocol.api import Wire
from lfr.store.alerts import Alert

if TYPE_CHECKING:
    from lfr.daemon.rates import RateBoard
    from lfr.pipeline.engine import Engine
    from lfr.pipeline.watchlists import ReloadOutcome


class EngineApi(StoreDaemonApi):
    """Implements `DaemonApi` (checked structurally by the protocol's tests)."""

    def __init__(
        self,
        engine: Engine,
        rates: RateBoard,
        reload: Callable[[str | None], Awaitable[list[ReloadOutcome]]],
    ) -> None:
        super().__init__(engine.store, reload=self._reload_wire)
        self._engine = engine
        self._rates = rates
        self._reload_outcomes = reload
        self._started = engine.started

    def wire(self, alert: Alert) -> dict[str, Any]:
        return alert_wire(alert, self._engine.watchlists.label_of(alert.watchlist, alert.identity))

    async def status(self) -> Wire:
        engine = self._engine
        out = dict(await super().status())
        counts = engine.summary()
        out.update(
            uptime_s=round(float(out["uptime_s"]), 1),
            latency_ms=counts["latency_ms"],
            time_to_alert_s=counts["time_to_alert_s"],
            queues={cid: src.frames.depth for cid, src in engine.sources.items()},
            counts=counts,
        )
        return out

    async def cameras_list(self) -> Sequence[Wire]:
        out = []
        for cid, ctx in self._engine.cameras.items():
            source = self._engine.sources.get(cid)
            counts = source.counts if source is not None else None
            lat = rounded(ctx.latency.summary())
            out.append(
                {
                    "id": cid,
                    "state": source.state.name if source is not None else "STOPPED",
                    "url": source.spec.shown_url if source is not None else None,
                    "watchlist": ctx.watchlist_name,
                    "fps_in": self._rates.rate(cid, "decoded"),
                    "fps_analysed": self._rates.rate(cid, "analysed"),
                    "frames": counts.frames_decoded if counts else 0,
                    "analysed": ctx.counters.frames_analysed,
                    "dropped": (counts.frames_dropped + counts.frames_skipped) if counts else 0,
                    "queue_depth": source.frames.depth if source is not None else 0,
                    "latency_ms": lat.get("total", {}),
                    "glass_to_alert_ms": lat.get("glass_to_alert", {}),
                    "reconnects": max(0, counts.connects - 1) if counts else 0,
                    "last_error": source.last_error if source is not None else None,
                    "faces": ctx.counters.faces,
                    "alerts": ctx.counters.alerts,
                }
            )
        return out

    async def watchlists_list(self) -> Sequence[Wire]:
        return self._engine.watchlists.describe()

    async def _reload_wire(self, name: str | None) -> Wire:
        outcomes = await self._reload_outcomes(name)
        return {"reloaded": [dataclasses.asdict(o) for o in outcomes]}
