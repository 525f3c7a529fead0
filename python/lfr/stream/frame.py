"""What a camera source produces and reports: frames, its state, its counters. (Its back-off is
the kernel's one `Backoff`, re-exported here for the stream's callers.)"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from lfr.kernel.backoff import Backoff

__all__ = ["Backoff", "CameraState", "CameraStats", "Frame", "FrameLike"]


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
    @property
    def decode_s(self) -> float: ...


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One decoded picture. `t_decoded` (time.monotonic()) starts the glass-to-alert clock;
    `pts_s` is the media time (None for sources without one, e.g. a folder of images);
    `decode_s` the time spent decoding and converting this picture (not the wait for it)."""

    camera_id: str
    index: int
    pts_s: float | None
    t_decoded: float
    wall_ts: float
    image: np.ndarray  # uint8 [H, W, 3] BGR, C-contiguous
    decode_s: float = 0.0


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
