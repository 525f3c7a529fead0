"""One camera frame's analysis, bridged into trio.

Each camera is analysed one frame at a time (its tracker is sequential by nature), in a worker
thread, while trio keeps decoding, serving the socket and persisting alerts. A capacity limiter
bounds how many frames are in analysis at once across cameras: on a 2-core box more than two
would only make every camera slower. The frame source decides what happens to frames that
arrive while one is analysed (keep-latest for live cameras, wait for files scanned whole); the
tracker decisions go on to the alert actor's mailbox, so a slow or busy store never holds a
camera's analysis.

Each frame's stage times are booked here, once: on the latency rings (`lfr status`, the scan's
summary), on the Prometheus histograms when the daemon serves `/metrics`, and on the trace
when one is recorded (on the worker thread that analysed the frame).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import trio

from lfr.pipeline.analysis import AlertCandidate, FrameAnalysis, FrameResult
from lfr.pipeline.latency import LatencyBook
from lfr.telemetry import OFF, Telemetry

if TYPE_CHECKING:
    from lfr.pipeline.camera import CameraContext
    from lfr.stream.frame import FrameLike

log = logging.getLogger(__name__)

TRACED_STAGES = ("detect", "track", "embed", "match")  # back to back from `t_start`


class AnalysisRunner:
    """Runs `FrameAnalysis` for any camera and books what it found on the camera's counters."""

    def __init__(
        self,
        analysis: FrameAnalysis,
        latency: LatencyBook,
        *,
        concurrency: int = 2,
        telemetry: Telemetry = OFF,
    ) -> None:
        self._analysis = analysis
        self._latency = latency
        self._limiter = trio.CapacityLimiter(max(1, concurrency))
        self.telemetry = telemetry

    async def analyse(self, ctx: CameraContext, frame: FrameLike) -> list[AlertCandidate]:
        """Analyse one frame; returns the tracker's decisions for the alert actor. A frame the
        tracker refuses (bad detections or timestamps) is counted and logged, and the camera
        carries on with the next one; anything else raised crashes the camera's actor."""
        t_dequeued = time.monotonic()
        work = self._analysis.analyse if self.telemetry.tracer is None else self._traced
        try:
            result = await trio.to_thread.run_sync(
                work, ctx, frame, t_dequeued, limiter=self._limiter
            )
        except ValueError as exc:
            ctx.counters.errors += 1
            log.warning("camera %s: frame %d not analysed: %s", ctx.camera_id, frame.index, exc)
            return []
        counters = ctx.counters
        counters.frames_analysed += 1
        counters.faces += result.faces
        counters.templates += result.templates
        counters.unmatched += result.unmatched
        counters.passers_by = int(ctx.tracker.stats()["tracks_started"])
        result.stage_ms["decode"] = frame.decode_s * 1e3
        self._latency.record(result.stage_ms)
        ctx.latency.record(result.stage_ms)
        if self.telemetry.metrics is not None:
            self.telemetry.metrics.frame(ctx.camera_id, result.stage_ms)
        return result.candidates

    def _traced(self, ctx: CameraContext, frame: FrameLike, t_dequeued: float) -> FrameResult:
        """The analysis, then its spans, on the worker thread that ran it."""
        result = self._analysis.analyse(ctx, frame, t_dequeued)
        tracer = self.telemetry.tracer
        assert tracer is not None
        ms = result.stage_ms
        tracer.analysed(
            ctx.camera_id,
            frame.index,
            faces=result.faces,
            decoded=frame.t_decoded,
            dequeued=t_dequeued,
            start=result.t_start,
            stages=[(stage, ms[stage] / 1e3) for stage in TRACED_STAGES if stage in ms],
            alerts=[(c.track_id, c.revision) for c in result.candidates],
        )
        return result
