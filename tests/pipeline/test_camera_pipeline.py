"""A camera's two analysis steps run side by side: it detects its next frame while its
current one is tracked, embedded and decided, and still decides every frame in order."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

CLIP_FRAMES = 275


async def test_a_camera_detects_its_next_frame_while_deciding_the_current(
    home: Path, live_analyzer, hamilton_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lfr.daemon.policies import SCAN
    from lfr.daemon.tree import scan_one
    from lfr.pipeline.analysis import FrameAnalysis
    from lfr.pipeline.engine import Engine
    from lfr.store import Store
    from lfr.stream import open_camera

    spans: dict[str, dict[int, tuple[float, float]]] = {"detect": {}, "decide": {}}
    order: list[int] = []

    def timed(step, original):
        def run(self, ctx, frame, *args):
            t0 = time.monotonic()
            out = original(self, ctx, frame, *args)
            spans[step][frame.index] = (t0, time.monotonic())
            if step == "decide":
                order.append(frame.index)
            return out

        return run

    monkeypatch.setattr(FrameAnalysis, "detect", timed("detect", FrameAnalysis.detect))
    monkeypatch.setattr(FrameAnalysis, "decide", timed("decide", FrameAnalysis.decide))
    with Store.open(home) as store:
        engine = Engine(store, live_analyzer, [])
        assert engine.watchlists.load("wl").loaded
        ctx = engine.camera("clip", "wl", media_clock=True)
        snap = await scan_one(engine, SCAN, open_camera(str(hamilton_clip), camera_id="clip"), ctx)
    assert order == list(range(CLIP_FRAMES))  # every frame decided, in order
    assert snap.analysis.frames_analysed == CLIP_FRAMES and snap.analysis.alerts == 1
    ahead = sum(spans["detect"][i + 1][0] < spans["decide"][i][1] for i in range(CLIP_FRAMES - 1))
    # Sequential steps would give 0: frame i+1 detected only once frame i was decided.
    assert ahead > CLIP_FRAMES / 2, ahead
