"""Latency bookkeeping that is always on: per-stage service times and glass-to-alert.

A live system must report its latency while it runs, not only in a benchmark, so every frame
records where its time went. Samples go into bounded rings (the last N per stage), which keeps
memory flat over days of running and makes the percentiles describe recent behaviour.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping

import numpy as np

# Stages in the order a frame passes them. `decode` is the picture's own decode and conversion
# (not the wait for it); `glass_to_decision` spans decoded -> the frame's
# tracker decisions made; `glass_to_alert` decode -> alert persisted and published;
# `time_to_alert` a track's first frame -> its alert (tracker clock: how long the decision
# gathered evidence).
STAGES: tuple[str, ...] = (
    "decode",
    "queue",
    "detect",
    "track",
    "embed",
    "match",
    "total",
    "glass_to_decision",
    "glass_to_alert",
    "time_to_alert",
)


def rounded(
    summary: Mapping[str, Mapping[str, float]], ndigits: int = 2
) -> dict[str, dict[str, float]]:
    """A `LatencyBook.summary()` for people and wire formats: rounded, without sample counts."""
    return {
        stage: {k: round(v, ndigits) for k, v in stats.items() if k != "n"}
        for stage, stats in summary.items()
    }


class LatencyRing:
    """The last `capacity` samples (milliseconds) of one stage, plus a lifetime count."""

    __slots__ = ("_samples", "count")

    def __init__(self, capacity: int = 4096) -> None:
        self._samples: deque[float] = deque(maxlen=capacity)
        self.count = 0

    def add(self, ms: float) -> None:
        self._samples.append(ms)
        self.count += 1

    def percentiles(self, qs: Iterable[float] = (50.0, 99.0)) -> dict[str, float]:
        if not self._samples:
            return {}
        values = np.fromiter(self._samples, dtype=np.float64, count=len(self._samples))
        out = {f"p{q:g}": float(np.percentile(values, q)) for q in qs}
        out["max"] = float(values.max())
        out["n"] = float(self.count)
        return out


class LatencyBook:
    """Rings for every stage, shared by the worker threads of one pipeline."""

    def __init__(self, capacity: int = 4096) -> None:
        self._lock = threading.Lock()
        self._rings = {stage: LatencyRing(capacity) for stage in STAGES}

    def record(self, samples: Mapping[str, float]) -> None:
        with self._lock:
            for stage, ms in samples.items():
                self._rings[stage].add(ms)

    def reset(self) -> None:
        """Forget all samples (e.g. after a warm-up that should not count)."""
        with self._lock:
            self._rings = {
                stage: LatencyRing(r._samples.maxlen or 4096) for stage, r in self._rings.items()
            }

    def summary(self) -> dict[str, dict[str, float]]:
        """{stage: {p50, p99, max, n}} for stages with samples, in milliseconds."""
        with self._lock:
            return {s: r.percentiles() for s, r in self._rings.items() if r.count}
