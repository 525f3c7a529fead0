"""The analysis loop of each camera, bridged into trio.

Each camera is analysed one frame at a time (its tracker is sequential by nature), in a worker
thread, while trio keeps decoding, serving the socket and persisting alerts. A capacity limiter
bounds how many frames are in analysis at once across cameras: on a 2-core box more than two
would only make every camera slower. The frame source decides what happens to frames that
arrive while one is analysed (keep-latest for live cameras, wait for files scanned whole).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import trio

from lfr.pipeline.analysis import FrameAnalysis
from lfr.pipeline.latency import LatencyBook
from lfr.stream.frame import FrameLike

if TYPE_CHECKING:
    from lfr.pipeline.alerts import AlertDispatcher
    from lfr.pipeline.analysis import AlertCandidate
    from lfr.pipeline.camera import CameraContext

log = logging.getLogger(__name__)


class AnalysisRunner:
    """Feeds frames from a camera's source through `FrameAnalysis` and on to the alerts."""

    def __init__(
        self,
        analysis: FrameAnalysis,
        dispatcher: AlertDispatcher,
        latency: LatencyBook,
        *,
        concurrency: int = 2,
        label_of: Callable[[str, str], str | None] = lambda _wl, _id: None,
    ) -> None:
        self._analysis = analysis
        self._dispatcher = dispatcher
        self._latency = latency
        self._limiter = trio.CapacityLimiter(max(1, concurrency))
        self._label_of = label_of
        self._alert_lock = trio.Lock()

    async def run_camera(self, ctx: CameraContext, frames: AsyncIterator[FrameLike]) -> None:
        """Analyse until the source ends or the caller cancels. A frame that fails analysis is
        counted and logged; the camera carries on with the next one."""
        async for frame in frames:
            t_dequeued = time.monotonic()
            try:
                result = await trio.to_thread.run_sync(
                    self._analysis.analyse, ctx, frame, t_dequeued, limiter=self._limiter
                )
            except ValueError as exc:  # bad detections/timestamps reported by the tracker
                ctx.counters.errors += 1
                log.warning("camera %s: frame %d not analysed: %s", ctx.camera_id, frame.index, exc)
                continue
            ctx.counters.frames_analysed += 1
            ctx.counters.faces += result.faces
            ctx.counters.templates += result.templates
            ctx.counters.unmatched += result.unmatched
            self._latency.record(result.stage_ms)
            ctx.latency.record(result.stage_ms)
            for cand in result.candidates:
                await self.deliver(ctx, cand)

    async def deliver(self, ctx: CameraContext, cand: AlertCandidate) -> None:
        """Persist and publish one decision: a track's alert, or a revision of it."""
        label = self._label_of(cand.watchlist, cand.identity)
        alert_id = ctx.alert_ids.of(cand.track_id) if cand.kind == "alert_update" else None
        # One alert at a time across cameras: publication order must be seq order, or a live
        # subscriber holding seq 6 would never see seq 5.
        async with self._alert_lock:
            if alert_id is None:
                stored = await trio.to_thread.run_sync(self._dispatcher.persist, cand, label)
            else:
                stored = await trio.to_thread.run_sync(
                    self._dispatcher.revise, alert_id, cand, label
                )
            alert = self._dispatcher.announce(stored)
        if alert.revision:
            ctx.counters.revisions += 1
            return
        ctx.alert_ids.remember(cand.track_id, alert.alert_id)
        ctx.latency.record({"glass_to_alert": alert.latency_ms or 0.0})
        self._latency.record({"time_to_alert": cand.time_to_alert_s * 1e3})
        ctx.latency.record({"time_to_alert": cand.time_to_alert_s * 1e3})
        ctx.counters.alerts += 1
