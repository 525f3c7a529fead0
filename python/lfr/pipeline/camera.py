"""Per-camera analysis state: the camera's tracker, its watchlist, its clock and its counters.

The watchlist, and with it the threshold, is looked up on every frame, so a reload reaches a
running camera; the tracker's settings are fixed for its life (`[tracker]` in the config,
checked by the tracker itself).

The tracker's clock must never go backwards. Live sources use the monotonic decode time; a
file analysed as fast as possible uses the media time (its frames arrive faster than real
time), and a media clock that jumps back (a looped file, a restarted stream) is shifted to
continue from where it was, so one tracker can follow a camera for days.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lfr._native import Tracker
from lfr.inference.regions import RegionPlan
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
    shed: int = 0  # due templates left for a later frame because the frame was late
    alerts: int = 0
    revisions: int = 0
    errors: int = 0
    passers_by: int = 0  # tracks the camera's tracker started: people who passed


class AlertIds:
    """Which alert each recent track raised, so a revision updates that alert. Bounded: a
    track lives seconds, so only the latest few hundred alerts can still be revised."""

    def __init__(self, capacity: int = 256) -> None:
        self._ids: OrderedDict[int, str] = OrderedDict()
        self._capacity = capacity

    def remember(self, track_id: int, alert_id: str) -> None:
        self._ids[track_id] = alert_id
        self._ids.move_to_end(track_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)

    def of(self, track_id: int) -> str | None:
        return self._ids.get(track_id)


@dataclass
class CameraContext:
    """Everything the analysis needs to know about one camera, swapped safely on reload."""

    camera_id: str
    watchlist_name: str
    media_clock: bool
    tracker_settings: Mapping[str, float] = field(default_factory=dict)
    lookup: Callable[[str], LoadedWatchlist | None] = lambda _name: None
    counters: CameraCounters = field(default_factory=CameraCounters)
    latency: LatencyBook = field(default_factory=lambda: LatencyBook(1024))
    alert_ids: AlertIds = field(default_factory=AlertIds)
    # Where detection looks in the next frame; by default the whole of every frame.
    regions: RegionPlan = field(default_factory=lambda: RegionPlan(full_every=1))
    _last_ts: float = float("-inf")
    _offset: float = 0.0

    def __post_init__(self) -> None:
        self.tracker = Tracker(**self.tracker_settings)

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
