"""The pipeline's event-driven Prometheus instruments: stage histograms, alerts and verdicts.

They are observed where the event happens (the analysis runner after each frame, the alert
actor after each persisted alert, the daemon's API after each verdict), so a scrape only reads
them. What is already counted elsewhere (frames, faces, states, restarts) is not counted again
here: the daemon's collector reads those counters from the registry at scrape time.

Buckets span 1 ms (a track step) to 2 s (a frame stuck behind a busy store), denser where the
stages of a 10 fps camera live (5-150 ms), so p50/p99 per stage read well in Grafana.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

BUCKETS_S: tuple[float, ...] = (
    0.001,
    0.002,
    0.005,
    0.01,
    0.02,
    0.035,
    0.05,
    0.075,
    0.1,
    0.15,
    0.25,
    0.5,
    1.0,
    2.0,
)
# The stages of `lfr_stage_seconds`, in the order a frame (and then its alert) passes them.
FRAME_STAGES: tuple[str, ...] = ("decode", "queue", "detect", "track", "embed", "match")
ALERT_STAGES: tuple[str, ...] = ("persist", "publish")
STAGES: tuple[str, ...] = FRAME_STAGES + ALERT_STAGES


class PipelineMetrics:
    """Histograms and counters in their own `CollectorRegistry` (never the process-global
    one: two daemons in one test process must not share series)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = registry if registry is not None else CollectorRegistry()
        self.stage_seconds = Histogram(
            "lfr_stage_seconds",
            "Time a frame (or its alert) spent in one stage of the pipeline.",
            ["camera", "stage"],
            buckets=BUCKETS_S,
            registry=self.registry,
        )
        self.glass_to_decision_seconds = Histogram(
            "lfr_glass_to_decision_seconds",
            "From a frame decoded to its tracker decisions made.",
            ["camera"],
            buckets=BUCKETS_S,
            registry=self.registry,
        )
        self.glass_to_alert_seconds = Histogram(
            "lfr_glass_to_alert_seconds",
            "From the frame that raised an alert decoded to the alert persisted and published.",
            ["camera"],
            buckets=BUCKETS_S,
            registry=self.registry,
        )
        self.alerts_total = Counter(
            "lfr_alerts",
            "Alerts raised (revisions not counted).",
            ["camera", "watchlist"],
            registry=self.registry,
        )
        self.verdicts_total = Counter(
            "lfr_verdicts",
            "Officers' verdicts on alerts recorded through the daemon.",
            ["verdict"],
            registry=self.registry,
        )
        self._children: dict[tuple[str, str], Any] = {}

    def _stage(self, camera: str, stage: str) -> Any:
        # labels() takes a lock and builds a key each call: cache the child per series.
        child = self._children.get((camera, stage))
        if child is None:
            child = self._children[(camera, stage)] = self.stage_seconds.labels(camera, stage)
        return child

    def frame(self, camera: str, stage_ms: Mapping[str, float]) -> None:
        """One analysed frame's stages (milliseconds, as the latency book takes them)."""
        for stage in FRAME_STAGES:
            ms = stage_ms.get(stage)
            if ms is not None:
                self._stage(camera, stage).observe(ms / 1e3)
        g2d = stage_ms.get("glass_to_decision")
        if g2d is not None:
            self.glass_to_decision_seconds.labels(camera).observe(g2d / 1e3)

    def alert(
        self,
        camera: str,
        watchlist: str,
        *,
        persist_s: float,
        publish_s: float,
        glass_to_alert_s: float | None,
    ) -> None:
        """One decision persisted and published; `glass_to_alert_s` None for a revision
        (it is not a new alert)."""
        self._stage(camera, "persist").observe(persist_s)
        self._stage(camera, "publish").observe(publish_s)
        if glass_to_alert_s is not None:
            self.glass_to_alert_seconds.labels(camera).observe(glass_to_alert_s)
            self.alerts_total.labels(camera, watchlist).inc()

    def verdict(self, verdict: str) -> None:
        self.verdicts_total.labels(verdict).inc()
