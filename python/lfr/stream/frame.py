"""What a camera source produces and reports: frames, its state, its counters, its backoff."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class FrameLike(Protocol):
    """What the analysis needs of a decoded frame (`Frame` satisfies it; tests pass lighter stand-ins)."""

    @property
    def camera_id(self) -> str: ...
    @property
    def index(self) -> int: ...
    @property
    def pts_s(self) -> float | None: ...
    @property
    def t_decoded(self) -> float: ...
    @property
    def wall_ts(self) -> float: ...
    @property
    def image(self) -> np.ndarray: ...


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One decoded picture. `t_decoded` (time.monotonic()) starts the glass-to-alert clock;
    `pts_s` is the media time (None for sources without one, e.g. a folder of images)."""

    camera_id: str
    index: int
    pts_s: float | None
    t_decoded: float
    wall_ts: float
    image: np.ndarray  # uint8 [H, W, 3] BGR, C-contiguous


class CameraState(enum.Enum):
    CONNECTING = "connecting"  # opening the input
    LIVE = "live"  # frames are arriving
    STALLED = "stalled"  # connected, but no frame for longer than the stall limit
    BACKOFF = "backoff"  # lost or refused; waiting before the next try
    FAILED = "failed"  # an error a retry will not fix by itself (404, bad data, no file)
    ENDED = "ended"  # a file or folder played to its end (or the source was stopped)


@dataclass(slots=True)
class CameraStats:
    frames_decoded: int = 0  # pictures decoded from the input
    frames_published: int = 0  # handed to the consumer's slot
    frames_dropped: int = 0  # replaced in the slot before the consumer took them
    frames_skipped: int = 0  # not converted because of the analysis fps cap
    connects: int = 0  # successful opens
    disconnects: int = 0  # live sessions that ended (server gone, read timeout)
    failures: int = 0  # failed opens and broken sessions
    stalls: int = 0  # times the source went STALLED

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter: many cameras behind one dead switch must not all
    reconnect in the same instant, and a camera that is down for hours must not be hammered."""

    initial_s: float = 0.5
    maximum_s: float = 10.0
    factor: float = 2.0
    jitter: float = 0.25  # +/- this fraction of the delay

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        base = min(self.maximum_s, self.initial_s * self.factor ** max(0, attempt))
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, base * (1.0 + spread))
