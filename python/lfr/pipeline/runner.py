"""One camera frame's analysis, bridged into trio.

Each camera's frames are tracked one at a time, in order (its tracker is sequential by
nature), in worker threads, while trio keeps decoding, serving the socket and persisting
alerts; a camera may detect its next frame meanwhile. A capacity limiter bounds how many steps
are running at once across cameras: on a 2-core box more than two would only make every
camera slower. The frame source decides what happens to frames that
arrive while one is analysed (keep-latest for live cameras, wait for files scanned whole); the
tracker decisions go on to the alert actor's mailbox, so a slow or busy store never holds a
camera's analysis.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import trio

from lfr.pipeline.analysis import AlertCandidate, Detections, FrameAnalysis
from lfr.pipeline.latency import LatencyBook

if TYPE_CHECKING:
    from lfr.pipeline.camera import CameraContext
    from lfr.stream.frame import FrameLike

log = logging.getLogger(__name__)


class AnalysisRunner:
    """Runs `FrameAnalysis`'s two steps for any camera and books what they found on the
    camera's counters. A frame the detector or the tracker refuses (bad frame, bad detections
    or timestamps) is counted and logged, and the camera carries on with the next one;
    anything else raised crashes the camera's actor."""

    def __init__(
        self, analysis: FrameAnalysis, latency: LatencyBook, *, concurrency: int = 2
    ) -> None:
        self._analysis = analysis
        self._latency = latency
        self._limiter = trio.CapacityLimiter(max(1, concurrency))

    async def detect(self, ctx: CameraContext, frame: FrameLike) -> Detections | None:
        """The frame's faces, or None when it was refused."""
        t_dequeued = time.monotonic()
        try:
            return await trio.to_thread.run_sync(
                self._analysis.detect, ctx, frame, t_dequeued, limiter=self._limiter
            )
        except ValueError as exc:
            self._refused(ctx, frame, exc)
            return None

    async def decide(
        self, ctx: CameraContext, frame: FrameLike, found: Detections
    ) -> list[AlertCandidate]:
        """Track, embed and decide on detected faces; the tracker's decisions for the alert
        actor."""
        try:
            result = await trio.to_thread.run_sync(
                self._analysis.decide, ctx, frame, found, limiter=self._limiter
            )
        except ValueError as exc:
            self._refused(ctx, frame, exc)
            return []
        ctx.counters.frames_analysed += 1
        ctx.counters.faces += result.faces
        ctx.counters.templates += result.templates
        ctx.counters.unmatched += result.unmatched
        self._latency.record(result.stage_ms)
        ctx.latency.record(result.stage_ms)
        return result.candidates

    @staticmethod
    def _refused(ctx: CameraContext, frame: FrameLike, exc: ValueError) -> None:
        ctx.counters.errors += 1
        log.warning("camera %s: frame %d not analysed: %s", ctx.camera_id, frame.index, exc)
