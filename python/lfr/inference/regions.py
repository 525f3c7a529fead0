"""Where a camera's next frame is searched for faces: the whole frame now and then, and in
between only the regions around the faces found since.

WHY: detection on the whole 640-wide frame is the largest per-frame cost after embedding
(3-4 ms of network, resize and box decoding on every analysed frame of every camera), while
from one analysed frame to the next (0.1 s at 10 fps) a face moves a fraction of its size. So
a camera detects on the whole frame every `full_every` frames (new faces are found there, at
most `full_every - 1` frames late), and on the frames between only on the regions around
the faces found since the last whole frame, each grown by `margin` times the face's size on
every side. Regions are cut on the network's 32-pixel grid at the whole frame's scale, so a
face found there gets (to a fraction of a pixel for most faces) the box, landmarks and score
the whole frame gives it: measured on the sample clips, median landmark difference 0.0 px
(720p) and 0.75 px (1080p crowd) with `margin = 1`, 0.4 and 1.4 px with 0.5. Overlapping
regions are merged; when they would cover more than `max_fraction` of the frame (large or
many faces), the whole frame is cheaper and is used. A frame with no face before it is not
searched until the next whole-frame detection: nothing was there to follow.

The default is every other frame: finding new faces one frame later changes which templates
a new track gets first, and with 3 or 4 frames between whole-frame detections one borderline
track (a 17-pixel face, at an uncalibrated threshold against 300 identities) tipped into a
false alert that whole-frame detection does not give; with 2 every accuracy check holds.

A plan lives with its camera (its frames come one at a time, in order); `RegionPlan(1)`
detects on every whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from lfr.errors import ConfigError

GRID = 32  # network pixels: YuNet's coarsest stride


def merge_overlapping(regions: np.ndarray) -> np.ndarray:
    """Union of rectangles that overlap (or touch), repeated until none do. int [m, 4]
    (x0, y0, x1, y1), half-open."""
    rects = [list(map(int, r)) for r in regions]
    merged = True
    while merged:
        merged = False
        out: list[list[int]] = []
        for r in rects:
            for o in out:
                if r[0] <= o[2] and o[0] <= r[2] and r[1] <= o[3] and o[1] <= r[3]:
                    o[:] = [min(o[0], r[0]), min(o[1], r[1]), max(o[2], r[2]), max(o[3], r[3])]
                    merged = True
                    break
            else:
                out.append(r)
        rects = out
    return np.asarray(rects, dtype=np.int64).reshape(-1, 4)


def grow_regions(
    boxes: np.ndarray, shape: tuple[int, int], margin: float, step: int = 1
) -> np.ndarray:
    """Each box grown by `margin` x its longer side on every side, clipped to the frame
    (h, w), snapped outwards to the detector's grid and merged where they overlap. `step` is
    the frame's integer shrink factor; the grid is 32 network pixels (`GRID` x `step` frame
    pixels): the network's coarsest stride, the shift it is equivariant to, so a face in a
    region gets the box and landmarks it gets in the whole frame (a shift of one network
    pixel moves them by several)."""
    if len(boxes) == 0:
        return np.zeros((0, 4), np.int64)
    h, w = shape
    b = np.asarray(boxes, dtype=np.float64)
    pad = margin * np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])[:, None]
    grown = np.concatenate([b[:, :2] - pad, b[:, 2:] + pad], axis=1)
    cell = GRID * step
    lo = np.floor(np.maximum(grown[:, :2], 0) / cell) * cell
    hi = np.ceil(np.minimum(grown[:, 2:], [w, h]) / cell) * cell
    hi = np.minimum(hi, [w // step * step, h // step * step])  # whole shrink blocks only
    regions = np.concatenate([lo, hi], axis=1).astype(np.int64)
    keep = (regions[:, 2] > regions[:, 0]) & (regions[:, 3] > regions[:, 1])
    return merge_overlapping(regions[keep])


class Shrinks(Protocol):
    def shrink_step(self, h: int, w: int) -> int: ...


@dataclass
class RegionPlan:
    full_every: int = 2  # a whole-frame detection at least every this many frames
    margin: float = 1.0  # a region: last frame's face grown by this x its size on every side
    max_fraction: float = 0.5  # regions over this share of the frame: detect the whole frame
    _since_full: int = field(default=0, repr=False)
    _last: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32), repr=False)

    def __post_init__(self) -> None:
        if self.full_every < 1:
            raise ConfigError(f"models.full_frame_every: must be >= 1, got {self.full_every}")

    def next(self, shape: tuple[int, ...], detector: Shrinks) -> np.ndarray | None:
        """Regions to search in the coming frame of `shape` (h, w, ...): None for the whole
        frame, else int [m, 4] (possibly empty: nothing to follow)."""
        if self._since_full == 0 or self.full_every == 1:
            return None
        h, w = shape[:2]
        regions = grow_regions(self._last, (h, w), self.margin, detector.shrink_step(h, w))
        area = float(np.prod(regions[:, 2:] - regions[:, :2], axis=1).sum())
        if area > self.max_fraction * h * w:
            return None
        return regions

    def found(self, boxes: np.ndarray, *, whole_frame: bool) -> None:
        """What the planned detection found (boxes in frame pixels)."""
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        if whole_frame:
            self._last = boxes
        else:  # a face missed once is still looked for until the next whole frame
            self._last = np.concatenate([self._last, boxes])
        self._since_full = 1 if whole_frame else (self._since_full + 1) % self.full_every
