"""The cluster link as one supervised actor of the daemon (`lfr.daemon.tree`).

It owns the asyncio bridge and the NATS connection, and runs its role's loops side by side:
an edge publishes its outbox, applies the hub's verdicts, follows watchlist commands and
beats its heart; a hub ingests every site's alerts, sends verdicts back, reads the sites'
heartbeats and withdraws expired bundles. It reports ready at once, before NATS answers: the
daemon starts and alerts locally whether or not the link is up, and the link comes up (and
comes back) on its own. Its restart rule is in `lfr.daemon.policies`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import trio

from lfr.cluster.bridge import AsyncioBridge
from lfr.cluster.edge import EdgeLink
from lfr.cluster.hub import HubLink
from lfr.cluster.link import NatsLink
from lfr.cluster.session import Session, read_key_file
from lfr.cluster.watchlists import ClusterCommandError, HubWatchlists, SiteWatchlists
from lfr.kernel.actor import Actor, Counters

if TYPE_CHECKING:
    from pathlib import Path

    from lfr.config.cluster import ClusterConfig
    from lfr.pipeline.alerts import EmittedAlert
    from lfr.pipeline.engine import Engine
    from lfr.store import Store

log = logging.getLogger("lfr.cluster")

CLUSTER_ACTOR = "cluster"
STOP_S = 2.0


class ClusterActor(Actor[None]):
    def __init__(
        self,
        cfg: ClusterConfig,
        store: Store,
        engine: Engine,
        *,
        alerts_days: int,
        bundle_key_file: Path | None,
        announce: Callable[[EmittedAlert], object],
        camera_states: Callable[[], list[dict[str, Any]]],
    ) -> None:
        super().__init__(CLUSTER_ACTOR)
        self.cfg = cfg
        self.session = Session(
            cfg,
            store,
            AsyncioBridge(f"lfr-nats-{cfg.site_name}"),
            NatsLink(cfg, max_age_s=cfg.stream_max_age_s(alerts_days)),
            signing_key=read_key_file(cfg.signing_key_file),
            bundle_key=read_key_file(bundle_key_file),
        )
        self.edge = EdgeLink(self.session, engine, camera_states) if cfg.role == "edge" else None
        self.hub = HubLink(self.session, announce) if cfg.role == "hub" else None
        self.site_watchlists = SiteWatchlists(self.session, engine.watchlists)
        self.hub_watchlists = HubWatchlists(self.session)
        self._scope: trio.CancelScope | None = None

    def notify(self) -> None:
        """An alert was persisted (trio thread): an edge publishes it now."""
        if self.edge is not None:
            self.edge.notify()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        s = self.session
        await trio.to_thread.run_sync(s.bridge.start)
        try:
            with trio.CancelScope() as self._scope:
                task_status.started()
                await s.forever("connect", self._connect, 0.0)
        finally:
            with trio.CancelScope(shield=True), trio.move_on_after(STOP_S):
                await s.bridge.call(s.link.close)
            await trio.to_thread.run_sync(s.bridge.stop)

    async def _connect(self) -> bool:
        s = self.session
        await s.nats(s.link.connect)
        log.info("cluster: %s %s connected to %s", self.cfg.role, s.site, self.cfg.url)
        s.counts["connects"] += 1
        async with trio.open_nursery() as nursery:
            for what, step, idle in self._loops():
                nursery.start_soon(s.forever, what, step, idle)
        return True  # not reached: the loops run until cancelled

    def _loops(self) -> list[tuple[str, Callable[[], Awaitable[bool]], float]]:
        beat = self.cfg.heartbeat_s
        if self.edge is not None:
            return [
                ("outbox", self.edge.publish_outbox, 0.0),
                ("verdicts", self.edge.apply_verdicts, 0.0),
                ("watchlists", self.site_watchlists.follow, 0.0),
                ("heartbeat", self.edge.heartbeat, beat),
            ]
        assert self.hub is not None
        return [
            ("ingest", self.hub.ingest, 0.0),
            ("verdicts", self.hub.send_verdicts, 0.2),
            ("sites", self.hub.read_heartbeats, min(beat, 1.0)),
            ("expiry", self.hub_watchlists.expire, 5.0),
        ]

    def request_stop(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    # --- the hub's commands (its socket calls these) -----------------------------------------

    async def publish_watchlist(self, name: str, sites: list[str], actor: str) -> dict[str, Any]:
        self._require_hub("publish")
        return await self.hub_watchlists.publish(name, sites, actor=actor)

    async def withdraw_watchlist(self, name: str, actor: str) -> dict[str, Any]:
        self._require_hub("withdraw")
        return await self.hub_watchlists.withdraw(name, actor=actor)

    def _require_hub(self, what: str) -> None:
        if self.hub is None:
            raise ClusterCommandError(f"only the hub can {what} watchlists to sites")
        if not self.session.link.connected:
            raise ClusterCommandError(f"cannot {what}: NATS at {self.cfg.url} is not reachable")

    def describe(self) -> dict[str, Any]:
        """The link as `status` reports it: role, site, link state, and the sites (hub)."""
        out: dict[str, Any] = {
            "role": self.cfg.role,
            "site": self.session.site,
            "url": self.cfg.url,
            "connected": self.session.link.connected,
        }
        if self.hub is not None:
            out["sites"] = self.hub.describe_sites()
        return out

    def counters(self) -> Counters:
        out = super().counters()
        out["connected"] = int(self.session.link.connected)
        out.update(self.session.counts)
        out["last_error"] = self.session.last_error or self.stats.last_error
        return out


def build(config: Any, store: Store, engine: Engine, **kw: Any) -> ClusterActor | None:
    """The daemon's cluster actor for `config` (a `lfr.config.Config`), None stand-alone."""
    if not config.cluster.enabled:
        return None
    return ClusterActor(
        config.cluster,
        store,
        engine,
        alerts_days=config.retention.alerts_days,
        bundle_key_file=config.watchlists.bundle_key_file,
        **kw,
    )
