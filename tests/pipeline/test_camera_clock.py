"""The tracker's clock never goes back, whatever the source's clock does."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from lfr.pipeline.camera import CameraContext


@dataclass
class _Frame:
    pts_s: float | None
    t_decoded: float
    camera_id: str = "c"
    index: int = 0
    wall_ts: float = 0.0
    image: np.ndarray | None = None


def _ctx(media_clock: bool) -> CameraContext:
    return CameraContext(camera_id="c", watchlist_name="w", media_clock=media_clock)


def test_media_clock_follows_pts_and_survives_a_loop() -> None:
    ctx = _ctx(media_clock=True)
    times = [ctx.track_time(_Frame(pts, 100.0)) for pts in (0.0, 0.04, 0.08, 0.0, 0.04)]
    assert times[:3] == [0.0, 0.04, 0.08]
    assert all(b > a for a, b in itertools.pairwise(times))
    # After the jump back, spacing between frames is kept.
    assert abs((times[4] - times[3]) - 0.04) < 1e-9


def test_live_clock_uses_decode_time_not_pts() -> None:
    ctx = _ctx(media_clock=False)
    assert ctx.track_time(_Frame(5.0, 100.0)) == 100.0
    assert ctx.track_time(_Frame(0.0, 100.5)) == 100.5
