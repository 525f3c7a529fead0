"""The integrator socket as a supervised actor of the daemon's tree.

The socket's own work (listeners, connections, subscriptions fed by the hub) is
`lfr.protocol.server.serve_socket`; this actor gives it a name in the registry, a restart
policy, and its bound endpoints, so the daemon prints them and `lfr status` counts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from lfr.kernel.actor import Actor, Counters
from lfr.protocol.server import SocketEndpoints, SocketSettings, serve_socket

if TYPE_CHECKING:
    from lfr.protocol.api import DaemonApi
    from lfr.protocol.hub import EventHub

SOCKET_ACTOR = "socket"


class SocketActor(Actor[None]):
    def __init__(self, api: DaemonApi, hub: EventHub, settings: SocketSettings) -> None:
        super().__init__(SOCKET_ACTOR)
        self.hub = hub
        self._api = api
        self._settings = settings
        self.endpoints: SocketEndpoints | None = None
        self._scope: trio.CancelScope | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with trio.CancelScope() as self._scope:
            async with trio.open_nursery() as nursery:
                self.endpoints = await nursery.start(
                    serve_socket, self._api, self.hub, self._settings
                )
                task_status.started()

    def request_stop(self) -> None:
        # Nothing to drain: subscribers resume from the store after the restart or the stop.
        if self._scope is not None:
            self._scope.cancel()

    def counters(self) -> Counters:
        out = super().counters()
        out["subscribers"] = sum(self.hub.subscriber_count(t) for t in self.hub.topics)
        out["published"] = sum(self.hub.published.values())
        return out
