"""The decoder's setup: a capped camera skips the non-reference frames it will never analyse,
unless the frames left cannot feed its cap; a paced input decodes like a live one."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import trio

from lfr.stream import Frame, open_camera
from lfr.stream.decoder_setup import DecoderSetup
from support.media import make_clip

# I B B P B B P ...: two of every three frames are B-frames nothing refers to.
IBBP = "bframes=2:b-pyramid=none:b-adapt=0"
FRAMES, REFERENCE_FRAMES = 200, 72  # 8 s at 25 fps; the I and P frames among them


@pytest.fixture(scope="module")
def ibbp_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clip = make_clip(tmp_path_factory.mktemp("ibbp") / "ibbp.mp4", seconds=8.0, x264_params=IBBP)
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONREF"
        assert sum(1 for _ in container.decode(stream)) == REFERENCE_FRAMES
    return clip


async def _read_whole(clip: Path, fps: float) -> tuple[list[Frame], int]:
    source = open_camera(str(clip), camera_id="cap", fps=fps)
    frames = []
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        with trio.fail_after(30):
            async for frame in source.frames:
                frames.append(frame)
    return frames, source.counts.frames_decoded


async def test_a_capped_camera_never_decodes_frames_nothing_refers_to(ibbp_clip: Path) -> None:
    frames, decoded = await _read_whole(ibbp_clip, fps=4.0)
    assert decoded == REFERENCE_FRAMES  # the 128 B-frames were skipped, not decoded
    gaps = np.diff([f.pts_s for f in frames])
    assert len(frames) == pytest.approx(8.0 * 4, abs=2)  # the cap is still met
    assert float(np.mean(gaps)) == pytest.approx(0.25, abs=0.02)


async def test_skipping_stops_when_the_frames_left_cannot_feed_the_cap(ibbp_clip: Path) -> None:
    # 9 reference frames a second cannot feed a cap of 10: after the check, every frame is
    # decoded again and the analysis gets its 10 fps.
    frames, decoded = await _read_whole(ibbp_clip, fps=10.0)
    assert REFERENCE_FRAMES < decoded < FRAMES
    late = [f.pts_s for f in frames if f.pts_s is not None and f.pts_s > 4.0]
    assert float(np.median(np.diff(late))) < 0.11  # 10 fps, not the 8.3 of P-frames alone


def test_paced_inputs_decode_like_live_ones(ibbp_clip: Path) -> None:
    with av.open(str(ibbp_clip)) as container:
        stream = container.streams.video[0]
        DecoderSetup(fps=None, paced=True).configure(stream)
        assert stream.thread_type.name == "SLICE"
        assert stream.codec_context.skip_frame == "DEFAULT"  # no cap: nothing may be skipped
        DecoderSetup(fps=None, paced=False).configure(stream)
        assert stream.thread_type.name == "AUTO"
