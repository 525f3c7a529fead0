"""The daemon's housekeeping actor: periodic chores, and the inbox of the supervisors' events.

Chores: rates, camera-state events, stats events, run counters, expiry, retention, the daily
audit head, giving the C heap's free pages back (`lfr.daemon.memory`). Each is cheap; none may
ever stop the cameras, so a failing chore is logged and retried at its next tick. Expiry is watched every tick: the cameras stop matching an expired
watchlist on their own (the lookup checks `expires_at` per frame), and this chore follows
within seconds with the audited purge and drops it from the running set. Events: every
supervisor of the tree sends its children's crashes, FAILED states and retries here; FAILED
and retries are written to the audit trail (waiting out a busy or full store), so an
oversight body can see when a camera was not watching and why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import trio

from lfr.daemon.memory import TRIM_EVERY_S, release_free_memory
from lfr.kernel.actor import Actor, Counters
from lfr.kernel.mailbox import Mailbox, MailboxPolicy
from lfr.kernel.policy import ChildEvent, ChildEventKind
from lfr.pipeline.camera_actor import camera_snapshots
from lfr.pipeline.store_writer import StoreWriter

if TYPE_CHECKING:
    from lfr.daemon.rates import RateBoard
    from lfr.kernel.registry import Registry
    from lfr.pipeline.engine import Engine
    from lfr.pipeline.snapshot import CameraSnapshot
    from lfr.protocol.hub import EventHub

log = logging.getLogger(__name__)

HOUSEKEEPING_ACTOR = "housekeeping"
TICK_S = 0.25
STATS_EVERY_S = 5.0
FLUSH_EVERY_S = 30.0
RETENTION_EVERY_S = 3600.0
EXPIRY_RETRY_S = 5.0
HEAD_EVERY_S = 86_400.0
EVENTS_KEPT = 64  # lifecycle events waiting for the audit; the oldest go first
AUDITED = {ChildEventKind.FAILED: "actor.failed", ChildEventKind.RETRYING: "actor.retry"}


class Housekeeping(Actor[ChildEvent]):
    def __init__(
        self,
        engine: Engine,
        hub: EventHub,
        rates: RateBoard,
        registry: Registry,
        *,
        alerts_days: int,
    ) -> None:
        super().__init__(
            HOUSEKEEPING_ACTOR,
            mailbox=Mailbox(EVENTS_KEPT, MailboxPolicy.DROP_OLDEST, name="housekeeping.events"),
        )
        self._engine = engine
        self._hub = hub
        self._rates = rates
        self._registry = registry
        self._alerts_days = alerts_days
        self._states: dict[str, str] = {}
        self._audit = StoreWriter(HOUSEKEEPING_ACTOR)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._chores)
            await super().run(task_status=task_status)  # the events, until a stop closes them
            nursery.cancel_scope.cancel()

    async def handle(self, message: ChildEvent) -> None:
        action = AUDITED.get(message.kind)
        if action is None:
            return
        details = {
            "actor": message.actor,
            "supervisor": message.supervisor,
            "restarts": message.restarts,
            "error": message.error,
        }
        await self._audit.write(self._engine.store.audit.append, action, "daemon", details)

    async def _chores(self) -> None:
        due = {
            "stats": 0.0,
            "flush": time.monotonic() + FLUSH_EVERY_S,
            "retention": time.monotonic() + RETENTION_EVERY_S,
            "expiry": 0.0,
            "head": time.monotonic() + HEAD_EVERY_S,
            "trim": time.monotonic() + TRIM_EVERY_S,
        }
        while True:
            now = time.monotonic()
            snaps = camera_snapshots(self._registry, latency=False)
            self._camera_states(snaps)
            self._rates.sample(
                {
                    s.camera: {
                        "decoded": s.source.frames_decoded,
                        "analysed": s.analysis.frames_analysed,
                    }
                    for s in snaps
                },
                now,
            )
            if now >= due["stats"]:
                due["stats"] = now + STATS_EVERY_S
                self._hub.publish("stats", self._engine.summary(snaps))
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
            if now >= due["trim"]:
                due["trim"] = now + TRIM_EVERY_S
                await self._chore(release_free_memory)
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

    async def _chore(self, fn: Callable[[], object]) -> None:
        try:
            await trio.to_thread.run_sync(fn)
        except Exception:
            log.exception("housekeeping: %s failed", getattr(fn, "__name__", fn))

    def _camera_states(self, snaps: list[CameraSnapshot]) -> None:
        for snap in snaps:
            if self._states.get(snap.camera) != snap.state:
                self._states[snap.camera] = snap.state
                self._hub.publish(
                    "camera_state",
                    {"camera": snap.camera, "state": snap.state, "error": snap.last_error},
                )

    def counters(self) -> Counters:
        out = super().counters()
        out.update(self._audit.counters())
        return out
