"""Per-camera rates (frames decoded and analysed per second) over a sliding window.

Counters only grow; a rate is their difference over the last few seconds, sampled by the
daemon's housekeeping task, so `lfr status` shows what a camera does now, not its lifetime
average.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping


class RateBoard:
    def __init__(self, window_s: float = 5.0) -> None:
        self._window_s = window_s
        self._samples: dict[str, deque[tuple[float, dict[str, int]]]] = {}

    def sample(self, counters: Mapping[str, Mapping[str, int]], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key, values in counters.items():
            ring = self._samples.setdefault(key, deque())
            ring.append((now, dict(values)))
            while len(ring) > 2 and now - ring[1][0] >= self._window_s:
                ring.popleft()

    def rate(self, key: str, counter: str) -> float:
        ring = self._samples.get(key)
        if not ring or len(ring) < 2:
            return 0.0
        (t0, first), (t1, last) = ring[0], ring[-1]
        if t1 <= t0:
            return 0.0
        return round((last.get(counter, 0) - first.get(counter, 0)) / (t1 - t0), 2)
