"""The daemon's periodic chores: rates, camera-state events, stats events, run counters,
expiry, retention, the daily audit head. Each is cheap; none may ever stop the cameras, so a
failing chore is logged and retried at its next tick.

Expiry is watched every tick: the cameras stop matching an expired watchlist on their own (the
lookup checks `expires_at` per frame), and this chore follows within seconds with the audited
purge and drops it from the running set.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from lfr.daemon.rates import RateBoard
    from lfr.pipeline.engine import Engine
    from lfr.protocol.hub import EventHub

log = logging.getLogger(__name__)

TICK_S = 0.25
STATS_EVERY_S = 5.0
FLUSH_EVERY_S = 30.0
RETENTION_EVERY_S = 3600.0
EXPIRY_RETRY_S = 5.0
HEAD_EVERY_S = 86_400.0


class Housekeeping:
    def __init__(
        self, engine: Engine, hub: EventHub, rates: RateBoard, *, alerts_days: int
    ) -> None:
        self._engine = engine
        self._hub = hub
        self._rates = rates
        self._alerts_days = alerts_days
        self._states: dict[str, str] = {}

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        due = {
            "stats": 0.0,
            "flush": time.monotonic() + FLUSH_EVERY_S,
            "retention": time.monotonic() + RETENTION_EVERY_S,
            "expiry": 0.0,
            "head": time.monotonic() + HEAD_EVERY_S,
        }
        while True:
            now = time.monotonic()
            self._camera_states()
            self._rates.sample(self._counters(), now)
            if now >= due["stats"]:
                due["stats"] = now + STATS_EVERY_S
                self._hub.publish("stats", self._engine.summary())
            if now >= due["flush"]:
                due["flush"] = now + FLUSH_EVERY_S
                await self._chore(self._engine.flush_counts)
            if now >= due["retention"]:
                due["retention"] = now + RETENTION_EVERY_S
                await self._chore(self.retention)
            if now >= due["expiry"] and self._engine.watchlists.expired():
                due["expiry"] = now + EXPIRY_RETRY_S
                await self._chore(self.expire)
            if now >= due["head"]:
                due["head"] = now + HEAD_EVERY_S
                await self._chore(self.export_head)
            await trio.sleep(TICK_S)

    def retention(self) -> None:
        """Delete alerts past retention and purge expired watchlists (both audited)."""
        purged, _ = self._engine.store.purge_due(alerts_days=self._alerts_days)
        self._drop(purged)

    def expire(self) -> None:
        """A loaded watchlist passed its expiry: purge (audited) and reload, which drops it,
        or picks up an expiry extended in the store meanwhile."""
        stale = self._engine.watchlists.expired()
        purged = self._engine.store.watchlists.purge_expired(actor="daemon")
        self._drop(sorted(set(stale) | set(purged)))

    def export_head(self) -> None:
        self._engine.store.export_head("daily")

    def _drop(self, names: list[str]) -> None:
        for outcome in self._engine.watchlists.load_all(names):
            if outcome.dropped:
                log.warning("watchlist %s expired and was purged", outcome.name)

    async def _chore(self, fn: object) -> None:
        try:
            await trio.to_thread.run_sync(fn)  # type: ignore[arg-type]
        except Exception:
            log.exception("housekeeping: %s failed", getattr(fn, "__name__", fn))

    def _counters(self) -> dict[str, dict[str, int]]:
        out = {}
        for cid, ctx in self._engine.cameras.items():
            source = self._engine.sources.get(cid)
            out[cid] = {
                "decoded": source.counts.frames_decoded if source else 0,
                "analysed": ctx.counters.frames_analysed,
            }
        return out

    def _camera_states(self) -> None:
        for cid, source in list(self._engine.sources.items()):
            state = source.state.name
            if self._states.get(cid) != state:
                self._states[cid] = state
                self._hub.publish(
                    "camera_state", {"camera": cid, "state": state, "error": source.last_error}
                )
