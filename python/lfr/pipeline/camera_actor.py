"""A camera as one supervised actor: its source feeding its analysis, started and stopped
together, handing its tracker's decisions to the alert actor's mailbox.

The source survives network trouble by itself (back-off, reconnect, states). What the
supervisor adds is a restart when something unexpected breaks the camera's analysis, so one
camera's bug costs that camera a restart (or, if it keeps crashing, leaves it FAILED), never
the daemon its other cameras. The frame mailbox is the source's: its policy (keep-latest for
live cameras) is what keeps a slow analysis from making the camera lag.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import trio

from lfr.kernel.actor import Actor, ActorState, Counters
from lfr.pipeline.alert_actor import AlertJob
from lfr.pipeline.analysis import Detections
from lfr.pipeline.latency import rounded
from lfr.pipeline.snapshot import CameraSnapshot
from lfr.stream.frame import Frame

if TYPE_CHECKING:
    from lfr.kernel.mailbox import Mailbox
    from lfr.kernel.registry import Registry
    from lfr.pipeline.camera import CameraContext
    from lfr.pipeline.runner import AnalysisRunner
    from lfr.stream import CameraSource


def camera_actor_name(camera_id: str) -> str:
    return f"camera:{camera_id}"


def camera_snapshots(registry: Registry, *, latency: bool = True) -> list[CameraSnapshot]:
    """Every running camera, as the registry knows them (what status and rates read)."""
    return [actor.snapshot(latency=latency) for actor in registry.of_kind(CameraActor)]


class CameraActor(Actor[Frame]):
    def __init__(
        self,
        source: CameraSource,
        ctx: CameraContext,
        runner: AnalysisRunner,
        alerts: Mailbox[AlertJob],
    ) -> None:
        super().__init__(camera_actor_name(ctx.camera_id), mailbox=source.frames)
        source.tracer = runner.telemetry.tracer  # the decode spans, when a trace is recorded
        self.source = source
        self.ctx = ctx
        self._runner = runner
        self._alerts = alerts

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(self.source.run)
            task_status.started()
            send, detected = trio.open_memory_channel[tuple[Frame, Detections]](0)
            nursery.start_soon(self._detect_ahead, send)
            async with detected:
                async for frame, found in detected:
                    for candidate in await self._runner.decide(self.ctx, frame, found):
                        await self._alerts.put(AlertJob(candidate, self.ctx))

    async def _detect_ahead(self, send: trio.MemorySendChannel[tuple[Frame, Detections]]) -> None:
        """Detect each frame while the one before is tracked and embedded: a camera's two
        steps run side by side (one core each), frames still tracked in order. Ends when the
        source's frame mailbox closes (a file played out, or a stop)."""
        async with send:
            async for frame in self.source.frames:
                found = await self._runner.detect(self.ctx, frame)
                if found is not None:
                    await send.send((frame, found))

    def request_stop(self) -> None:
        # Stopping the source closes its mailbox; the analysis finishes the frame in hand and
        # ends, so the stop drains instead of abandoning work.
        self.source.request_stop()

    def snapshot(self, *, latency: bool = True) -> CameraSnapshot:
        """The camera now; `latency=False` skips the percentiles (for frequent polling)."""
        lifecycle = self.stats.state
        if lifecycle in (ActorState.FAILED, ActorState.RESTARTING):
            state = lifecycle.name
            error = self.stats.last_error
        else:
            state = self.source.state.name
            error = self.source.last_error or self.stats.last_error
        return CameraSnapshot(
            camera=self.ctx.camera_id,
            url=self.source.spec.shown_url,
            watchlist=self.ctx.watchlist_name,
            state=state,
            last_error=error,
            restarts=self.stats.restarts,
            queue_depth=self.source.frames.depth,
            source=copy.copy(self.source.counts),
            analysis=copy.copy(self.ctx.counters),
            latency_ms=rounded(self.ctx.latency.summary()) if latency else {},
        )

    def counters(self) -> Counters:
        """The snapshot's numbers, with `state` the actor's lifecycle like every actor's (the
        camera's own state is `camera_state`) and `dropped` its frame mailbox's drops."""
        out: Counters = {}
        out.update(self.snapshot(latency=False).numbers())
        out["camera_state"] = out["state"]
        out["state"] = self.stats.state.value
        out["dropped"] = self.source.frames.dropped
        return out
