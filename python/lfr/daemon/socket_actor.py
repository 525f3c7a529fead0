"""The integrator socket as a supervised actor of the daemon's tree.

The socket's own work (listeners, connections, subscriptions fed by the hub, and the alert feed
that puts every stored alert in seq order) is `lfr.protocol.server.serve_socket`; this actor
gives it a name in the registry, a restart policy, and its bound endpoints, so the daemon
prints them and `lfr status` counts it. A restarted feed goes on from the last seq it
published.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from lfr.kernel.actor import Actor, Counters
from lfr.protocol.server import SocketEndpoints, serve_socket

if TYPE_CHECKING:
    from lfr.config import SocketConfig
    from lfr.protocol.api import DaemonApi
    from lfr.protocol.connection import Connection
    from lfr.protocol.feed import AlertFeed
    from lfr.protocol.hub import EventHub

SOCKET_ACTOR = "socket"


class SocketActor(Actor[None]):
    def __init__(
        self,
        api: DaemonApi,
        hub: EventHub,
        config: SocketConfig,
        data_dir: Path,
        *,
        alerts: AlertFeed | None = None,
    ) -> None:
        super().__init__(SOCKET_ACTOR)
        self.hub = hub
        self._api = api
        self._config = config
        self._data_dir = data_dir
        self._alerts = alerts
        self.endpoints: SocketEndpoints | None = None
        self.connections: set[Connection] = set()  # open now (each removes itself at its end)
        self._scope: trio.CancelScope | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with trio.CancelScope() as self._scope:
            async with trio.open_nursery() as nursery:
                self.endpoints = await nursery.start(
                    functools.partial(
                        serve_socket, alerts=self._alerts, connections=self.connections
                    ),
                    self._api,
                    self.hub,
                    self._config,
                    self._data_dir,
                )
                task_status.started()

    def request_stop(self) -> None:
        # Nothing to drain: subscribers resume from the store after the restart or the stop.
        if self._scope is not None:
            self._scope.cancel()

    @property
    def clients(self) -> int:
        """Connections open now."""
        return len(self.connections)

    def counters(self) -> Counters:
        out = super().counters()
        out["clients"] = self.clients
        out["subscribers"] = sum(self.hub.subscriber_count(t) for t in self.hub.topics)
        out["published"] = sum(self.hub.published.values())
        if self._alerts is not None:
            out["alerts_held"] = self._alerts.pending  # waiting for a gap to be filled
            out["alerts_from_store"] = self._alerts.filled  # e.g. stored by `lfr scan`
        return out
