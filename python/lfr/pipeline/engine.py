"""What `lfr scan`, `lfr demo` and the daemon share: the store, the models, the loaded
watchlists, the alert path, the analysis runner and the run record, assembled once.

It starts nothing by itself: the supervision tree (`lfr.daemon.tree`) runs the cameras and the
alert actor over it, with every listener for the daemon and none for a one-off scan.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lfr.inference.regions import RegionPlan
from lfr.pipeline.alerts import AlertDispatcher, AlertOutput, EmittedAlert
from lfr.pipeline.analysis import FrameAnalysis
from lfr.pipeline.camera import CameraContext, CameraCounters
from lfr.pipeline.latency import LatencyBook
from lfr.pipeline.runner import AnalysisRunner
from lfr.pipeline.snapshot import CameraSnapshot, added, since
from lfr.pipeline.summary import run_summary
from lfr.pipeline.watchlists import WatchlistSet
from lfr.telemetry import OFF, Telemetry

if TYPE_CHECKING:
    from lfr.inference import FaceAnalyzer
    from lfr.store import Store


# Detections down to the tracker's `low_score` reach it: ByteTrack's second stage uses them
# to keep a track alive through blur or a turned head (they are never embedded).
DETECTION_FLOOR = 0.3


@dataclass(frozen=True, slots=True)
class EngineSettings:
    threshold: float | None = None  # None: the watchlist's, else the model's default
    # Keyword overrides of the tracker's own defaults (`[tracker]` in the config); the
    # tracker validates them when the first camera starts.
    tracker: Mapping[str, float] = field(default_factory=dict)
    concurrency: int = 2  # frames in analysis at once, across cameras
    # A whole-frame detection every this many frames of a camera, the regions around the
    # faces of the frame before in between (`lfr.inference.regions`); 1: always the whole.
    full_frame_every: int = 2
    keep_crops: bool = True  # store the matched face's crop with its alert
    site: str | None = None  # the cluster site this daemon is, recorded on its alerts


class Engine:
    def __init__(
        self,
        store: Store,
        analyzer: FaceAnalyzer,
        outputs: Sequence[AlertOutput],
        settings: EngineSettings = EngineSettings(),
        *,
        publish: Callable[[EmittedAlert], object] | None = None,
        alert_store: Store | None = None,
        telemetry: Telemetry = OFF,
    ) -> None:
        """`alert_store`: a second connection for the alert actor's writes (the daemon's), so
        a write waiting out another process's lock never holds the connection that serves
        reads (`lfr status`, replays); default: `store`. `telemetry`: the Prometheus
        instruments and the trace recorder to feed, where they are on."""
        self.store = store
        self.telemetry = telemetry
        self.analyzer = analyzer
        self.settings = settings
        self.latency = LatencyBook()
        self.watchlists = WatchlistSet(
            store, analyzer.model_id, threshold_override=settings.threshold
        )
        self.dispatcher = AlertDispatcher(
            alert_store or store,
            outputs,
            self.latency,
            publish=publish,
            keep_crops=settings.keep_crops,
            site=settings.site,
        )
        self.runner = AnalysisRunner(
            FrameAnalysis(analyzer, threshold_override=settings.threshold),
            self.latency,
            concurrency=settings.concurrency,
            telemetry=telemetry,
        )
        self.cameras: dict[str, CameraContext] = {}
        self.started = time.monotonic()
        self._run_id: str | None = None
        self._flushed: dict[str, CameraCounters] = {}  # what each camera has added to the run

    def camera(self, camera_id: str, watchlist: str, *, media_clock: bool) -> CameraContext:
        ctx = CameraContext(
            camera_id=camera_id,
            watchlist_name=watchlist,
            media_clock=media_clock,
            tracker_settings=self.settings.tracker,
            lookup=self.watchlists.get,
            regions=RegionPlan(full_every=self.settings.full_frame_every),
        )
        self.cameras[camera_id] = ctx
        return ctx

    # --- the run record behind the transparency report (numbers only) -------------------

    def begin_run(self, config_hash: str) -> str:
        hashes = {str(wl["name"]): str(wl["content_hash"]) for wl in self.watchlists.describe()}
        self._run_id = self.store.runs.start(config_hash, sorted(self.cameras), hashes)
        self.dispatcher.run_id = self._run_id
        self._flushed = {}
        return self._run_id

    def flush_counts(self) -> None:
        """Add what was counted since the last flush to the run (blocking: a thread)."""
        if self._run_id is None:
            return
        now = {cid: copy.copy(ctx.counters) for cid, ctx in self.cameras.items()}
        delta = added(
            CameraCounters,
            (
                since(counts, self._flushed.get(cid, CameraCounters()))
                for cid, counts in now.items()
            ),
        )
        self.store.runs.add_counts(
            self._run_id,
            faces_seen=delta.faces,
            templates_computed=delta.templates,
            templates_discarded=delta.unmatched,
            frames=delta.frames_analysed,
            passers_by=delta.passers_by,
        )
        self._flushed = now

    def retire(self, camera_id: str) -> None:
        """Forget a stopped camera, keeping what it counted in the run (blocking)."""
        if self._run_id is not None:
            self.flush_counts()
        self.cameras.pop(camera_id, None)
        self._flushed.pop(camera_id, None)

    def end_run(self, reason: str = "stop") -> None:
        if self._run_id is None:
            return
        self.flush_counts()
        self.store.runs.finish(self._run_id, reason=reason)
        self._run_id = self.dispatcher.run_id = None

    def summary(self, cameras: Iterable[CameraSnapshot]) -> dict[str, object]:
        """The run so far over `cameras` (the registry's snapshots, or a scan's one)."""
        return run_summary(cameras, self.latency, time.monotonic() - self.started)
