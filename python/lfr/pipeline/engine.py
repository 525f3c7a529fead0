"""What `lfr scan`, `lfr demo` and the daemon share: the store, the models, the loaded
watchlists, the alert path and the analysis runner, assembled once.

It starts nothing by itself; the caller decides which sources run and for how long, so the
same engine serves a one-off scan of a file and a daemon that runs for days.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio

from lfr.pipeline.alerts import AlertDispatcher, AlertOutput, EmittedAlert
from lfr.pipeline.analysis import FrameAnalysis
from lfr.pipeline.camera import CameraContext
from lfr.pipeline.latency import LatencyBook
from lfr.pipeline.runner import AnalysisRunner
from lfr.pipeline.summary import SourceCounts, run_summary
from lfr.pipeline.watchlists import WatchlistSet

if TYPE_CHECKING:
    from lfr.inference import FaceAnalyzer
    from lfr.store import Store
    from lfr.stream import CameraSource


# Detections down to the tracker's `low_score` reach it: ByteTrack's second stage uses them
# to keep a track alive through blur or a turned head (they are never embedded).
DETECTION_FLOOR = 0.3


@dataclass(frozen=True, slots=True)
class _Totals:
    frames: int = 0
    faces: int = 0
    templates: int = 0
    unmatched: int = 0

    @classmethod
    def of(cls, cameras: Iterable[CameraContext]) -> _Totals:
        cams = [c.counters for c in cameras]
        return cls(
            sum(c.frames_analysed for c in cams),
            sum(c.faces for c in cams),
            sum(c.templates for c in cams),
            sum(c.unmatched for c in cams),
        )

    def minus(self, other: _Totals) -> _Totals:
        return _Totals(
            self.frames - other.frames,
            self.faces - other.faces,
            self.templates - other.templates,
            self.unmatched - other.unmatched,
        )


@dataclass(frozen=True, slots=True)
class EngineSettings:
    threshold: float | None = None  # None: the watchlist's, else the model's default
    # Keyword overrides of the tracker's own defaults (`[tracker]` in the config); the
    # tracker validates them when the first camera starts.
    tracker: Mapping[str, float] = field(default_factory=dict)
    concurrency: int = 2  # frames in analysis at once, across cameras
    keep_crops: bool = True  # store the matched face's crop with its alert


class Engine:
    def __init__(
        self,
        store: Store,
        analyzer: FaceAnalyzer,
        outputs: Sequence[AlertOutput],
        settings: EngineSettings = EngineSettings(),
        *,
        publish: Callable[[EmittedAlert], object] | None = None,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self.settings = settings
        self.latency = LatencyBook()
        self.watchlists = WatchlistSet(store, analyzer.model_id)
        self.dispatcher = AlertDispatcher(
            store, outputs, self.latency, publish=publish, keep_crops=settings.keep_crops
        )
        self.runner = AnalysisRunner(
            FrameAnalysis(analyzer, threshold_override=settings.threshold),
            self.dispatcher,
            self.latency,
            concurrency=settings.concurrency,
            label_of=self.watchlists.label_of,
        )
        self.cameras: dict[str, CameraContext] = {}
        self.sources: dict[str, CameraSource] = {}
        self.started = time.monotonic()
        self._run_id: str | None = None
        self._flushed = _Totals()

    def camera(self, camera_id: str, watchlist: str, *, media_clock: bool) -> CameraContext:
        ctx = CameraContext(
            camera_id=camera_id,
            watchlist_name=watchlist,
            media_clock=media_clock,
            tracker_settings=self.settings.tracker,
            lookup=self.watchlists.get,
        )
        self.cameras[camera_id] = ctx
        return ctx

    async def run_source(self, source: CameraSource, ctx: CameraContext) -> None:
        """Run one camera: its source actor and its analysis, until the source ends."""
        self.sources[ctx.camera_id] = source
        async with trio.open_nursery() as nursery:
            await nursery.start(source.run)
            await self.runner.run_camera(ctx, source.frames)

    # --- the run record behind the transparency report (numbers only) -------------------

    def begin_run(self, config_hash: str) -> str:
        hashes = {str(wl["name"]): str(wl["content_hash"]) for wl in self.watchlists.describe()}
        self._run_id = self.store.runs.start(config_hash, sorted(self.cameras), hashes)
        self.dispatcher.run_id = self._run_id
        self._flushed = _Totals()
        return self._run_id

    def flush_counts(self) -> None:
        """Add what was counted since the last flush to the run (blocking: a thread)."""
        if self._run_id is None:
            return
        now = _Totals.of(self.cameras.values())
        delta = now.minus(self._flushed)
        self.store.runs.add_counts(
            self._run_id,
            faces_seen=delta.faces,
            templates_computed=delta.templates,
            templates_discarded=delta.unmatched,
            frames=delta.frames,
        )
        self._flushed = now

    def retire(self, camera_id: str) -> None:
        """Forget a stopped camera, keeping what it counted in the run (blocking)."""
        if self._run_id is not None:
            self.flush_counts()
        self.cameras.pop(camera_id, None)
        self.sources.pop(camera_id, None)
        self._flushed = _Totals.of(self.cameras.values())

    def end_run(self, reason: str = "stop") -> None:
        if self._run_id is None:
            return
        self.flush_counts()
        self.store.runs.finish(self._run_id, reason=reason)
        self._run_id = self.dispatcher.run_id = None

    def summary(self) -> dict[str, object]:
        counts = [
            SourceCounts(s.counts.frames_decoded, s.counts.frames_dropped, s.counts.frames_skipped)
            for s in self.sources.values()
        ]
        return run_summary(
            [c.counters for c in self.cameras.values()],
            counts,
            self.latency,
            time.monotonic() - self.started,
        )
