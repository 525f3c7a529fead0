"""The daemon as the socket sees it: `lfr.protocol.api.DaemonApi` over the engine and store.

Store calls run in worker threads (SQLite blocks), everything else reads in-memory counters.
Store errors are mapped to the protocol's stable error codes so a client can act on them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import trio

from lfr import __version__
from lfr.pipeline.alerts import EmittedAlert
from lfr.protocol.api import InvalidArgumentError, NotFoundError, Wire
from lfr.store.errors import AlertNotFound, StoreError, WatchlistNotFound

if TYPE_CHECKING:
    from lfr.daemon.rates import RateBoard
    from lfr.pipeline.engine import Engine

T = TypeVar("T")


async def _in_thread(fn: Callable[..., T], *args: Any) -> T:
    try:
        return await trio.to_thread.run_sync(fn, *args)
    except (AlertNotFound, WatchlistNotFound) as exc:
        raise NotFoundError(str(exc)) from None
    except StoreError as exc:
        raise InvalidArgumentError(str(exc)) from None


class EngineApi:
    """Implements `DaemonApi` (checked structurally by the protocol's tests)."""

    def __init__(self, engine: Engine, rates: RateBoard,
                 reload: Callable[[str | None], Any]) -> None:
        self._engine = engine
        self._rates = rates
        self._reload = reload

    async def status(self) -> Wire:
        engine = self._engine
        midnight = time.mktime(time.localtime()[:3] + (0, 0, 0, 0, 0, -1))
        today = await _in_thread(lambda: len(engine.store.alerts.query(since_ts=midnight,
                                                                      limit=1_000_000)))
        last = await _in_thread(engine.store.alerts.last_seq)
        return {
            "version": __version__,
            "uptime_s": round(time.monotonic() - engine.started, 1),
            "cameras": await self.cameras_list(),
            "alerts_today": today,
            "last_alert_seq": last,
            "latency_ms": _rounded(engine.latency.summary()),
            "queues": {cid: src.frames.depth for cid, src in engine.sources.items()},
            "counts": engine.summary(),
        }

    async def cameras_list(self) -> Sequence[Wire]:
        out = []
        for cid, ctx in self._engine.cameras.items():
            source = self._engine.sources.get(cid)
            counts = source.counts if source is not None else None
            lat = ctx.latency.summary()
            out.append({
                "id": cid,
                "state": source.state.name if source is not None else "STOPPED",
                "watchlist": ctx.watchlist_name,
                "fps_in": self._rates.rate(cid, "decoded"),
                "fps_analysed": self._rates.rate(cid, "analysed"),
                "frames": counts.frames_decoded if counts else 0,
                "analysed": ctx.counters.frames_analysed,
                "dropped": (counts.frames_dropped + counts.frames_skipped) if counts else 0,
                "queue_depth": source.frames.depth if source is not None else 0,
                "latency_ms": _rounded(lat).get("total", {}),
                "glass_to_alert_ms": _rounded(lat).get("glass_to_alert", {}),
                "reconnects": max(0, counts.connects - 1) if counts else 0,
                "last_error": source.last_error if source is not None else None,
                "faces": ctx.counters.faces,
                "alerts": ctx.counters.alerts,
            })
        return out

    async def watchlists_list(self) -> Sequence[Wire]:
        return self._engine.watchlists.describe()

    async def watchlist_reload(self, name: str | None) -> Wire:
        if name is not None:
            await _in_thread(self._engine.store.watchlists.get, name)  # NotFound first
        outcomes = await self._reload(name)
        return {"reloaded": [o.__dict__ if hasattr(o, "__dict__") else _outcome(o)
                             for o in outcomes]}

    async def alerts_list(self, since_seq: int, limit: int) -> Sequence[Wire]:
        alerts = await _in_thread(self._engine.store.alerts.list_since, since_seq, limit)
        label = self._engine.watchlists.label_of
        return [EmittedAlert.from_stored(a, label(a.watchlist, a.identity)).to_json()
                for a in alerts]

    async def alert_adjudicate(self, alert_id: str, verdict: str, by: str,
                               note: str | None) -> Wire:
        alert = await _in_thread(self._engine.store.alerts.adjudicate, alert_id, verdict, by,
                                 note)
        label = self._engine.watchlists.label_of(alert.watchlist, alert.identity)
        return EmittedAlert.from_stored(alert, label).to_json()

    async def alerts_since(self, seq: int, limit: int) -> Sequence[Wire]:
        return await self.alerts_list(seq, limit)


def _outcome(o: Any) -> dict[str, Any]:
    return {k: getattr(o, k) for k in o.__slots__}


def _rounded(summary: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {stage: {k: round(v, 2) for k, v in stats.items() if k != "n"}
            for stage, stats in summary.items()}
