"""A camera as one supervised actor: its source and its analysis loop, started and stopped
together.

The source already survives network trouble by itself (backoff, reconnect, states). What the
supervisor adds is a restart when something unexpected breaks the camera's analysis, so one
camera's bug costs that camera a restart, not the daemon its other cameras.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from lfr.kernel.actor import Actor

if TYPE_CHECKING:
    from lfr.pipeline.camera import CameraContext
    from lfr.pipeline.engine import Engine
    from lfr.stream import CameraSource


class CameraWorker(Actor[None]):
    def __init__(self, engine: Engine, source: CameraSource, ctx: CameraContext) -> None:
        super().__init__(f"camera:{ctx.camera_id}")
        self.engine = engine
        self.source = source
        self.ctx = ctx
        engine.sources[ctx.camera_id] = source

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(self.source.run)
            task_status.started()
            # Ends when the source's frame mailbox closes: a file played out, or a stop.
            await self.engine.runner.run_camera(self.ctx, self.source.frames)

    def request_stop(self) -> None:
        # Stopping the source closes its mailbox; the analysis loop finishes the frame in
        # hand and ends, so the stop drains instead of abandoning work.
        self.source.request_stop()

    def counters(self) -> dict[str, float | int]:
        out = super().counters()
        out.update(self.source.counters())
        return out
