"""One camera frame's analysis, bridged into trio.

Each camera's frames are tracked one at a time, in order (its tracker is sequential by
nature), in worker threads, while trio keeps decoding, serving the socket and persisting
alerts; a camera may detect its next frame meanwhile. A capacity limiter bounds how many steps
are running at once across cameras (on a 2-core box more than two would only make every
camera slower) and gives a freed core to a decision before a new detection. The frame source
decides what happens to frames that arrive while one is analysed (keep-latest for live
cameras, wait for files scanned whole); the tracker decisions go on to the alert actor's mailbox, so a slow or busy store never holds a
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

from lfr.kernel.priority import PriorityLimiter
from lfr.pipeline.analysis import AlertCandidate, Detections, FrameAnalysis, FrameResult
from lfr.pipeline.latency import LatencyBook
from lfr.telemetry import OFF, Telemetry

if TYPE_CHECKING:
    from lfr.pipeline.camera import CameraContext
    from lfr.stream.frame import FrameLike

log = logging.getLogger(__name__)

TRACED_STAGES = ("track", "embed", "match")  # back to back from the decision step's start


class AnalysisRunner:
    """Runs `FrameAnalysis`'s two steps for any camera and books what they found on the
    camera's counters. A frame the detector or the tracker refuses (bad frame, bad detections
    or timestamps) is counted and logged, and the camera carries on with the next one;
    anything else raised crashes the camera's actor."""

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
        cores = PriorityLimiter(max(1, concurrency))
        # A frame in hand is decided before a new one is detected (`lfr.kernel.priority`).
        self._deciding, self._detecting = cores.lane(0), cores.lane(1)
        self.telemetry = telemetry

    async def detect(self, ctx: CameraContext, frame: FrameLike) -> Detections | None:
        """The frame's faces, or None when it was refused."""
        t_dequeued = time.monotonic()
        work = self._analysis.detect if self.telemetry.tracer is None else self._traced_detect
        try:
            return await trio.to_thread.run_sync(
                work, ctx, frame, t_dequeued, limiter=self._detecting
            )
        except ValueError as exc:
            self._refused(ctx, frame, exc)
            return None

    async def decide(
        self, ctx: CameraContext, frame: FrameLike, found: Detections
    ) -> list[AlertCandidate]:
        """Track, embed and decide on detected faces; the tracker's decisions for the alert
        actor."""
        work = self._analysis.decide if self.telemetry.tracer is None else self._traced_decide
        try:
            result = await trio.to_thread.run_sync(work, ctx, frame, found, limiter=self._deciding)
        except ValueError as exc:
            self._refused(ctx, frame, exc)
            return []
        counters = ctx.counters
        counters.frames_analysed += 1
        counters.faces += result.faces
        counters.templates += result.templates
        counters.unmatched += result.unmatched
        counters.shed += result.shed
        counters.passers_by = int(ctx.tracker.stats()["tracks_started"])
        result.stage_ms["decode"] = frame.decode_s * 1e3
        self._latency.record(result.stage_ms)
        ctx.latency.record(result.stage_ms)
        if self.telemetry.metrics is not None:
            self.telemetry.metrics.frame(ctx.camera_id, result.stage_ms)
        return result.candidates

    @staticmethod
    def _refused(ctx: CameraContext, frame: FrameLike, exc: ValueError) -> None:
        ctx.counters.errors += 1
        log.warning("camera %s: frame %d not analysed: %s", ctx.camera_id, frame.index, exc)

    # --- the trace's spans, on the worker thread that ran each step ---------------------------

    def _traced_detect(self, ctx: CameraContext, frame: FrameLike, t_dequeued: float) -> Detections:
        found = self._analysis.detect(ctx, frame, t_dequeued)
        tracer = self.telemetry.tracer
        assert tracer is not None
        tracer.detected(
            ctx.camera_id,
            frame.index,
            decoded=frame.t_decoded,
            dequeued=t_dequeued,
            start=found.t_start,
            end=found.t_start + found.detect_ms / 1e3,
        )
        return found

    def _traced_decide(
        self, ctx: CameraContext, frame: FrameLike, found: Detections
    ) -> FrameResult:
        result = self._analysis.decide(ctx, frame, found)
        tracer = self.telemetry.tracer
        assert tracer is not None
        ms = result.stage_ms
        tracer.analysed(
            ctx.camera_id,
            frame.index,
            faces=result.faces,
            start=result.t_start,
            stages=[(stage, ms[stage] / 1e3) for stage in TRACED_STAGES if stage in ms],
            alerts=[(c.track_id, c.revision) for c in result.candidates],
        )
        return result
