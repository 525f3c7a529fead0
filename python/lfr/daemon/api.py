"""The daemon as the socket sees it: `lfr.protocol.api.DaemonApi` over the engine and store.

The store-backed requests (alerts, verdicts, replay, watchlist checks) are the protocol's own
`StoreDaemonApi`; this adds what only the running daemon knows (its actors, cameras, rates,
latencies, loaded watchlists, reload) and publishes alerts in the pipeline's wire shape.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from lfr.cluster.watchlists import ClusterCommandError
from lfr.daemon.store_api import StoreDaemonApi
from lfr.pipeline.alerts import alert_wire
from lfr.pipeline.camera_actor import camera_snapshots
from lfr.protocol.api import NotFoundError, UnavailableError, Wire
from lfr.store.alerts import Alert
from lfr.store.errors import WatchlistNotFound

# What a loaded watchlist reports over its stored record in `watchlists.list`.
LIVE_KEYS = ("content_hash", "templates", "threshold", "threshold_source", "expected_fpir")

if TYPE_CHECKING:
    from lfr.cluster.actor import ClusterActor
    from lfr.daemon.rates import RateBoard
    from lfr.kernel.registry import Registry
    from lfr.pipeline.engine import Engine
    from lfr.pipeline.snapshot import CameraSnapshot
    from lfr.pipeline.watchlists import ReloadOutcome


class EngineApi(StoreDaemonApi):
    """Implements `DaemonApi` (checked structurally by the protocol's tests). What it says
    about the running daemon comes from the registry: every actor's counters, and each
    camera's snapshot."""

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        rates: RateBoard,
        reload: Callable[[str | None], Awaitable[list[ReloadOutcome]]],
        *,
        cluster: ClusterActor | None = None,
    ) -> None:
        super().__init__(engine.store, reload=self._reload_wire)
        self._cluster = cluster
        self._engine = engine
        self._registry = registry
        self._rates = rates
        self._reload_outcomes = reload
        self._started = engine.started

    def wire(self, alert: Alert) -> dict[str, Any]:
        return alert_wire(alert, self._engine.watchlists.label_of(alert.watchlist, alert.identity))

    async def status(self) -> Wire:
        out = dict(await super().status())
        snaps = camera_snapshots(self._registry, latency=False)
        counts = self._engine.summary(snaps)
        out.update(
            uptime_s=round(float(out["uptime_s"]), 1),
            latency_ms=counts["latency_ms"],
            time_to_alert_s=counts["time_to_alert_s"],
            queues={s.camera: s.queue_depth for s in snaps},
            counts=counts,
            actors=self._registry.counters(),
        )
        if self._cluster is not None:
            out["cluster"] = self._cluster.describe()
        return out

    async def cameras_list(self) -> Sequence[Wire]:
        return [self._camera_wire(snap) for snap in camera_snapshots(self._registry)]

    def _camera_wire(self, snap: CameraSnapshot) -> Wire:
        return {
            "id": snap.camera,
            "state": snap.state,
            "url": snap.url,
            "watchlist": snap.watchlist,
            "fps_in": self._rates.rate(snap.camera, "decoded"),
            "fps_analysed": self._rates.rate(snap.camera, "analysed"),
            "frames": snap.source.frames_decoded,
            "analysed": snap.analysis.frames_analysed,
            "dropped": snap.frames_dropped,
            "queue_depth": snap.queue_depth,
            "latency_ms": snap.latency_ms.get("total", {}),
            "glass_to_alert_ms": snap.latency_ms.get("glass_to_alert", {}),
            "reconnects": max(0, snap.source.connects - 1),
            "restarts": snap.restarts,
            "last_error": snap.last_error,
            "faces": snap.analysis.faces,
            "templates": snap.analysis.templates,
            "templates_shed": snap.analysis.shed,
            "alerts": snap.analysis.alerts,
        }

    def verdict_recorded(self, judged: Wire) -> None:
        """Publish the verdict (the hook), then count it: where the daemon records verdicts."""
        super().verdict_recorded(judged)
        metrics = self._engine.telemetry.metrics
        if metrics is not None:
            metrics.verdict(str(judged.get("status")))

    async def watchlists_list(self) -> Sequence[Wire]:
        """The stored watchlists; those the cameras match against now (`loaded`) with the
        threshold in force, a configured override included."""
        live = {w["name"]: w for w in self._engine.watchlists.describe()}
        listed = []
        for stored in await super().watchlists_list():
            now = live.get(str(stored["name"]))
            listed.append(
                {**stored, "loaded": now is not None}
                | ({k: now[k] for k in LIVE_KEYS} if now is not None else {})
            )
        return listed

    async def watchlist_reload(self, name: str | None) -> Wire:
        # A loaded watchlist deleted from the store is still the daemon's to drop.
        if name is not None and name in self._engine.watchlists.names():
            return await self._reload_wire(name)
        return await super().watchlist_reload(name)

    async def _reload_wire(self, name: str | None) -> Wire:
        outcomes = await self._reload_outcomes(name)
        return {"reloaded": [dataclasses.asdict(o) for o in outcomes]}

    async def watchlist_publish(self, name: str, sites: list[str], *, actor: str) -> Wire:
        if self._cluster is None:
            return await super().watchlist_publish(name, sites, actor=actor)
        try:
            return await self._cluster.publish_watchlist(name, sites, actor)
        except WatchlistNotFound as exc:
            raise NotFoundError(str(exc)) from None
        except ClusterCommandError as exc:
            raise UnavailableError(str(exc)) from None

    async def watchlist_withdraw(self, name: str, *, actor: str) -> Wire:
        if self._cluster is None:
            return await super().watchlist_withdraw(name, actor=actor)
        try:
            return await self._cluster.withdraw_watchlist(name, actor)
        except ClusterCommandError as exc:
            raise UnavailableError(str(exc)) from None
