"""The supervision tree: every long-running part of lfr as a supervised actor.

    lfr                      root supervisor; stops its children in reverse order
    ├── socket               SocketActor          (daemon only)
    ├── console              ConsoleActor         (daemon with [console] only)
    ├── metrics              HttpActor            (daemon with [metrics]): GET /metrics
    ├── alerts               AlertActor           mailbox: tracker decisions, in order
    ├── cluster              ClusterActor         (daemon with [cluster] only): NATS link
    ├── cameras              Supervisor
    │   └── camera:<id>      CameraActor          mailbox: the source's frames
    └── housekeeping         Housekeeping         mailbox: the supervisors' lifecycle events

The daemon runs it whole; `lfr scan` runs the same tree with one camera and no listeners
(no socket, no housekeeping). Restart rules come from `lfr.daemon.policies`. Stop order:
housekeeping, then the cameras (each finishes its frame in hand), then the alert actor (it
persists what the cameras handed it), then the metrics endpoint, then the console, then
the socket (subscribers see those alerts first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from lfr.kernel.registry import Registry
from lfr.kernel.supervisor import Supervisor
from lfr.pipeline.alert_actor import AlertActor
from lfr.pipeline.camera_actor import CameraActor, camera_actor_name, camera_snapshots

if TYPE_CHECKING:
    from lfr.cluster.actor import ClusterActor
    from lfr.console import ConsoleActor
    from lfr.daemon.housekeeping import Housekeeping
    from lfr.daemon.policies import Policies
    from lfr.daemon.socket_actor import SocketActor
    from lfr.http import HttpActor
    from lfr.pipeline.camera import CameraContext
    from lfr.pipeline.engine import Engine
    from lfr.pipeline.snapshot import CameraSnapshot
    from lfr.stream import CameraSource

ROOT = "lfr"
CAMERAS = "cameras"


class ServiceTree:
    def __init__(
        self,
        engine: Engine,
        policies: Policies,
        *,
        socket: SocketActor | None = None,
        console: ConsoleActor | None = None,
        housekeeping: Housekeeping | None = None,
        metrics: HttpActor | None = None,
        registry: Registry | None = None,
        cluster: ClusterActor | None = None,
    ) -> None:
        self.engine = engine
        self.policies = policies
        self.registry = registry if registry is not None else Registry()
        events = housekeeping.mailbox if housekeeping is not None else None
        self.root = Supervisor(ROOT, registry=self.registry, events=events, ordered_stop=True)
        self.alerts = AlertActor(
            engine.dispatcher,
            engine.watchlists.label_of,
            engine.latency,
            telemetry=engine.telemetry,
        )
        self.cameras = Supervisor(CAMERAS, registry=self.registry, events=events)
        if socket is not None:
            self.root.add(socket, policies.socket)
        if console is not None:
            self.root.add(console, policies.console)
        if metrics is not None:
            self.root.add(metrics, policies.metrics)
        self.root.add(self.alerts, policies.alerts)
        if cluster is not None:  # stops after the cameras: what they raised is in the outbox
            self.root.add(cluster, policies.cluster)
        self.root.add(self.cameras, policies.cameras)
        if housekeeping is not None:
            self.root.add(housekeeping, policies.housekeeping)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start every declared child in order; return once all are stopped."""
        await self.root.run(task_status=task_status)

    def request_stop(self) -> None:
        self.root.request_stop()

    async def add_camera(self, source: CameraSource, ctx: CameraContext) -> CameraActor:
        """Start a camera under the cameras' supervisor; returns once it runs (or is FAILED)."""
        actor = CameraActor(source, ctx, self.engine.runner, self.alerts.inbox)
        await self.cameras.start(actor, self.policies.camera)
        return actor

    async def stop_camera(self, camera_id: str) -> None:
        await self.cameras.stop(camera_actor_name(camera_id))

    def camera(self, camera_id: str) -> CameraActor | None:
        actor = self.registry.get(camera_actor_name(camera_id))
        return actor if isinstance(actor, CameraActor) else None

    def snapshots(self) -> list[CameraSnapshot]:
        return camera_snapshots(self.registry)


async def scan_one(
    engine: Engine, policies: Policies, source: CameraSource, ctx: CameraContext
) -> CameraSnapshot:
    """`lfr scan`: run the tree with one camera until its source ends; its last snapshot.

    A camera that crashes escalates out of here (the scan fails with the error) instead of
    starting the file over."""
    tree = ServiceTree(engine, policies)
    async with trio.open_nursery() as nursery:
        await nursery.start(tree.run)
        camera = await tree.add_camera(source, ctx)
        if await tree.cameras.wait(camera.name):
            tree.request_stop()  # the alert actor persists what the camera handed it, then ends
    return camera.snapshot()
