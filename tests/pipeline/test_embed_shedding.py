"""A live frame embeds at most two due faces, a late one only its largest (the rest wait for
the next frames), so cameras keep their frame rate through a burst; files scanned on their
media clock embed every face the tracker asks for."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np

from lfr.pipeline.analysis import LATE_S, LIVE_EMBEDS, FrameAnalysis, shed_embeds
from lfr.stream.frame import Frame

FRAMES = 12  # the crowd clip's opening: many faces at once, new tracks gathering


def _frames(clip: Path) -> list[np.ndarray]:
    with av.open(str(clip)) as container:
        images = []
        for frame in container.decode(video=0):
            images.append(frame.to_ndarray(format="bgr24"))
            if len(images) == FRAMES:
                return images
    raise AssertionError("clip too short")


def _run(
    analysis: FrameAnalysis, ctx, images: list[np.ndarray], late_by: float
) -> tuple[list[int], int]:
    """(templates computed per frame, templates shed), each frame `late_by` seconds old when
    analysed."""
    per_frame, shed = [], 0
    for i, image in enumerate(images):
        now = time.monotonic()
        frame = Frame("cam", i, i / 10, now - late_by, time.time(), image)
        result = analysis.decide(ctx, frame, analysis.detect(ctx, frame, now))
        per_frame.append(result.templates)
        shed += result.shed
        time.sleep(0.01)  # live cameras run on the wall clock: keep their timestamps apart
    return per_frame, shed


def test_shed_embeds_keeps_the_largest_faces() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 40, 50], [5, 5, 30, 35]], dtype=np.float32)
    kept, left = shed_embeds(np.array([0, 1, 2]), boxes, 1)
    assert kept.tolist() == [1] and left == 2
    kept, left = shed_embeds(np.array([0, 2]), boxes, 1)
    assert kept.tolist() == [2] and left == 1
    kept, left = shed_embeds(np.array([0, 1, 2]), boxes, 2)
    assert kept.tolist() == [1, 2] and left == 1
    kept, left = shed_embeds(np.array([2]), boxes, 2)
    assert kept.tolist() == [2] and left == 0


def test_late_live_frames_shed_and_files_never_do(
    home: Path, live_analyzer, crowd_clip: Path
) -> None:
    from lfr.pipeline.engine import Engine
    from lfr.store import Store

    images = _frames(crowd_clip)
    with Store.open(home) as store:
        engine = Engine(store, live_analyzer, [])
        assert engine.watchlists.load("wl").loaded
        analysis = FrameAnalysis(live_analyzer)
        late, late_shed = _run(
            analysis, engine.camera("late", "wl", media_clock=False), images, 4 * LATE_S
        )
        on_time, on_time_shed = _run(
            analysis, engine.camera("on-time", "wl", media_clock=False), images, 0.0
        )
        scanned, scanned_shed = _run(
            analysis, engine.camera("file", "wl", media_clock=True), images, 4 * LATE_S
        )
    # The frames ask for several templates at once (new tracks gather theirs): a scan
    # computes them all, a live frame on time at most two...
    assert max(scanned) > LIVE_EMBEDS and scanned_shed == 0
    assert max(on_time) == LIVE_EMBEDS and on_time_shed > 0
    # ...a late live frame computes one, and counts the rest as shed.
    assert max(late) == 1 and late_shed > 0
    # The faces left are asked for again: the late camera keeps computing one per frame.
    assert late.count(1) >= 4, late
