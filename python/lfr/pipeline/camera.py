"""Per-camera analysis state: the camera's tracker, its watchlist, its clock and its counters.

The tracker's clock must never go backwards. Live sources use the monotonic decode time; a
file analysed as fast as possible uses the media time (its frames arrive faster than real
time), and a media clock that jumps back (a looped file, a restarted stream) is shifted to
continue from where it was, so one tracker can follow a camera for days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lfr._native import Tracker
from lfr.pipeline.latency import LatencyBook

if TYPE_CHECKING:
    from lfr.pipeline.gallery import LoadedWatchlist
    from lfr.stream.frame import FrameLike


@dataclass(slots=True)
class CameraCounters:
    frames_analysed: int = 0
    faces: int = 0
    templates: int = 0
    unmatched: int = 0
    alerts: int = 0
    alert_updates: int = 0
    errors: int = 0


@dataclass(frozen=True, slots=True)
class TrackerSettings:
    """The tracker's knobs that operators may set (see `lfr.config`); None keeps the
    tracker's own default."""

    min_hits: int | None = None
    cooldown_s: float | None = None
    max_age_s: float | None = None
    n_init: int | None = None
    iou_threshold: float | None = None
    reembed_interval_s: float | None = None

    def kwargs(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in self.__slots__  # type: ignore[attr-defined]
            if getattr(self, name) is not None
        }


@dataclass
class CameraContext:
    """Everything the analysis needs to know about one camera, swapped safely on reload."""

    camera_id: str
    watchlist_name: str
    threshold: float
    media_clock: bool
    settings: TrackerSettings = field(default_factory=TrackerSettings)
    lookup: Callable[[str], LoadedWatchlist | None] = lambda _name: None
    counters: CameraCounters = field(default_factory=CameraCounters)
    latency: LatencyBook = field(default_factory=lambda: LatencyBook(1024))
    _last_ts: float = float("-inf")
    _offset: float = 0.0

    def __post_init__(self) -> None:
        self.tracker = Tracker(match_threshold=self.threshold, **self.settings.kwargs())

    def watchlist(self) -> LoadedWatchlist | None:
        """The camera's watchlist as loaded now (a reload swaps it between two frames)."""
        return self.lookup(self.watchlist_name)

    def track_time(self, frame: FrameLike) -> float:
        # Called for one frame at a time per camera (the runner analyses a camera's frames in
        # sequence), so this state needs no lock.
        raw = frame.pts_s if (self.media_clock and frame.pts_s is not None) else frame.t_decoded
        ts = raw + self._offset
        if ts <= self._last_ts:
            # The media clock went back (loop, reconnect): continue just after the last.
            self._offset += self._last_ts - ts + 1e-3
            ts = raw + self._offset
        self._last_ts = ts
        return ts
