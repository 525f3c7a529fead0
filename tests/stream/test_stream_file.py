"""Camera sources over files and folders: every frame, real-time pacing, keep-latest drops,
the fps cap, looping, bad inputs, and no decode thread left behind."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest
import trio
from stream_helpers import decode_threads, next_frames

from lfr.stream import CameraState, Frame, SourceFailed, open_camera
from support.media import make_clip

CLIP_FRAMES = 275  # short_hamilton_clip.mp4: 640x360, 29.97 fps, 9.18 s


async def _drain(source, *, delay_s: float = 0.0, limit_s: float = 60.0) -> list[Frame]:
    frames = []
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        with trio.fail_after(limit_s):
            async for frame in source.frames:
                frames.append(frame)
                if delay_s:
                    await trio.sleep(delay_s)
    return frames


async def test_file_read_whole_delivers_every_frame(hamilton_clip: Path) -> None:
    source = open_camera(str(hamilton_clip), camera_id="f")
    frames = await _drain(source)
    assert [f.index for f in frames] == list(range(CLIP_FRAMES))
    pts = [f.pts_s for f in frames]
    assert all(p is not None for p in pts) and pts == sorted(pts)
    assert frames[0].image.shape == (360, 640, 3) and frames[0].image.dtype == np.uint8
    assert source.state is CameraState.ENDED
    assert source.counts.frames_dropped == 0 and source.frames.dropped == 0
    assert decode_threads() == []


async def test_fps_cap_on_a_file_uses_media_time(hamilton_clip: Path) -> None:
    source = open_camera(str(hamilton_clip), camera_id="f", fps=5)
    frames = await _drain(source)
    gaps = np.diff([f.pts_s for f in frames])
    assert 44 <= len(frames) <= 48  # 9.18 s at 5 fps
    assert gaps.min() >= 0.2 - 0.02
    assert source.counts.frames_skipped == CLIP_FRAMES - len(frames)


async def test_realtime_file_is_paced_at_the_clip_rate(hamilton_clip: Path) -> None:
    source = open_camera(str(hamilton_clip), camera_id="rt", realtime=True)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        frames = await next_frames(source, 45, timeout_s=10)
        nursery.cancel_scope.cancel()
    media = frames[-1].pts_s - frames[0].pts_s
    wall = frames[-1].t_decoded - frames[0].t_decoded
    assert media > 1.0
    assert wall == pytest.approx(media, rel=0.15)  # not as fast as possible: ~29.97 fps
    assert decode_threads() == []


async def test_keep_latest_counts_drops_for_a_slow_consumer(hamilton_clip: Path) -> None:
    source = open_camera(str(hamilton_clip), camera_id="slow", realtime=True)
    received = []
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        with trio.move_on_after(1.5):
            async for frame in source.frames:
                received.append(frame)
                await trio.sleep(0.2)  # a consumer 6x slower than the camera
        nursery.cancel_scope.cancel()
    assert source.counts.frames_dropped > 10
    assert source.counts.frames_published == (
        len(received) + source.counts.frames_dropped + source.frames.depth
    )
    indices = [f.index for f in received]
    assert max(np.diff(indices)) > 1  # the consumer saw the newest frames, not a backlog
    assert decode_threads() == []


@pytest.fixture(scope="module")
def one_second_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "one_second.mp4", seconds=1.0)


async def test_looped_file_keeps_playing_with_a_continuous_clock(one_second_clip: Path) -> None:
    source = open_camera(str(one_second_clip), camera_id="loop", loop=True)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        frames = await next_frames(source, 55, timeout_s=6)  # 25 frames per loop
        nursery.cancel_scope.cancel()
    pts = [f.pts_s for f in frames]
    assert pts[-1] > 2.0
    assert all(b > a for a, b in itertools.pairwise(pts))  # no jump back at the loop point
    assert source.counts.connects == 1  # looping is not a reconnect


async def test_folder_of_images_skips_unreadable_files(sample_data: Path, tmp_path: Path) -> None:
    examples = sample_data / "face_recognition" / "examples"
    for i, name in enumerate(["obama.jpg", "biden.jpg", "two_people.jpg"]):
        (tmp_path / f"{i}.jpg").symlink_to(examples / name)
    (tmp_path / "3.jpg").write_bytes(b"not a jpeg at all")
    (tmp_path / "notes.txt").write_text("ignored: not an image extension")
    source = open_camera(str(tmp_path), camera_id="folder")
    frames = await _drain(source)
    assert len(frames) == 3
    assert all(f.image.ndim == 3 and f.image.shape[2] == 3 for f in frames)
    assert source.state is CameraState.ENDED


async def test_folder_images_pass_the_pixel_check_before_decoding(
    sample_data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from support.images import encode, gradient, huge_png

    (tmp_path / "0.jpg").symlink_to(sample_data / "face_recognition/examples/obama.jpg")
    huge_png(tmp_path / "1.png", side=8000)  # 64 MP of black in 160 KB: a decompression bomb
    (tmp_path / "2.tif").write_bytes(encode(gradient(), "tiff", "rgb24"))
    source = open_camera(str(tmp_path), camera_id="folder")
    frames = await _drain(source)
    assert len(frames) == 2  # the photo and the TIFF; the bomb was never decoded
    assert frames[1].image.shape == (96, 128, 3)
    assert "8000x8000 (64 MP), over the 50 MP limit" in caplog.text


async def test_missing_file_is_failed_with_a_clear_error(tmp_path: Path) -> None:
    source = open_camera(str(tmp_path / "nope.mp4"), camera_id="missing")
    assert await _drain(source) == []
    assert source.state is CameraState.FAILED
    with pytest.raises(SourceFailed, match=r"missing.*No such file"):
        source.raise_if_failed()


async def test_corrupt_file_is_failed_not_a_crash(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x01garbage" * 1000)
    source = open_camera(str(bad), camera_id="bad")
    assert await _drain(source) == []
    assert source.state is CameraState.FAILED
    assert "InvalidData" in (source.last_error or "")


async def test_cancellation_stops_a_paced_file_promptly(hamilton_clip: Path) -> None:
    source = open_camera(str(hamilton_clip), camera_id="c", realtime=True)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        await next_frames(source, 3, timeout_s=5)
        assert decode_threads() == ["lfr-decode:c"]
        # The camera's long-lived thread holds no token of trio's shared thread limiter.
        assert trio.to_thread.current_default_thread_limiter().borrowed_tokens == 0
        t0 = time.monotonic()
        nursery.cancel_scope.cancel()
    assert time.monotonic() - t0 < 1.0  # a pacing sleep checks for a stop every 50 ms
    assert decode_threads() == []
    assert source.frames.closed


def test_bad_urls_are_rejected_up_front() -> None:
    for url in ["ftp://host/x", "rtsp://", "/dev/sda", ""]:
        with pytest.raises(ValueError):
            open_camera(url)
    with pytest.raises(ValueError, match="fps"):
        open_camera("rtsp://127.0.0.1:1/x", fps=0)


async def test_every_frame_source_blocked_on_a_full_queue_still_stops(hamilton_clip: Path) -> None:
    source = open_camera(str(hamilton_clip), camera_id="blocked", queue=2)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        with trio.fail_after(5):
            while source.frames.depth < 2:  # nobody reads: the decoder waits, losing nothing
                await trio.sleep(0.01)
        await trio.sleep(0.2)
        assert source.frames.depth == 2 and source.counts.frames_dropped == 0
        assert source.counts.frames_decoded <= 4
        nursery.cancel_scope.cancel()
    assert decode_threads() == []


async def test_supervised_camera_stops_gracefully(hamilton_clip: Path) -> None:
    from lfr.kernel import Supervisor

    source = open_camera(str(hamilton_clip), camera_id="sup", realtime=True)
    async with trio.open_nursery() as nursery:
        sup = Supervisor()
        await nursery.start(sup.run)
        await sup.start(source)
        await next_frames(source, 3, timeout_s=5)
        assert sup.registry.lookup("sup", type(source)) is source
        with trio.fail_after(2):
            assert await sup.stop("sup", timeout_s=1.0)
        assert "sup" not in sup.registry
        assert source.state is CameraState.ENDED and decode_threads() == []
        nursery.cancel_scope.cancel()


async def test_missing_video_device_is_failed_and_retried() -> None:
    source = open_camera("/dev/video99", camera_id="usb")
    assert source.spec.kind.live
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        with trio.fail_after(5):
            await source.wait_state(CameraState.FAILED)
        assert source.state.name == "FAILED"
        nursery.cancel_scope.cancel()  # a live camera is retried, so it never ends by itself
    assert "No such file" in (source.last_error or "")
