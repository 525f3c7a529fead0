"""Camera sources over HTTP from a real server on loopback: an MJPEG stream (what many IP
cameras serve) and an HLS playlist, both made from the sample clip with PyAV."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from stream_helpers import decode_threads, next_frames, wait_state

from lfr.stream import Backoff, CameraState, InputKind, open_camera
from support.http_media import HttpMedia
from support.media import make_hls, make_jpegs


@pytest.fixture(scope="module")
def http_media(
    hamilton_clip: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HttpMedia]:
    root = tmp_path_factory.mktemp("http")
    make_hls(hamilton_clip, root / "hls")
    jpegs = make_jpegs(hamilton_clip, root / "jpeg")
    with HttpMedia(root, jpegs) as server:
        yield server


async def test_mjpeg_stream_is_live(http_media: HttpMedia) -> None:
    source = open_camera(http_media.url("mjpeg"), camera_id="ipcam")
    assert source.spec.kind is InputKind.HTTP and not source.every_frame
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        frames = await next_frames(source, 5, timeout_s=10)
        assert source.state is CameraState.LIVE
        nursery.cancel_scope.cancel()
    assert frames[0].image.shape == (360, 640, 3)
    assert decode_threads() == []


async def test_hls_playlist_plays_then_reconnects(http_media: HttpMedia) -> None:
    source = open_camera(
        http_media.url("hls/index.m3u8"),
        camera_id="hls",
        backoff=Backoff(initial_s=0.1, maximum_s=0.2),
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        frames = await next_frames(source, 10, timeout_s=10)
        # A finished (VOD) playlist ends like a camera that went away: a disconnect and a
        # retry, never a crash.
        await wait_state(source, CameraState.BACKOFF, timeout_s=15)
        nursery.cancel_scope.cancel()
    assert frames[0].image.shape == (360, 640, 3)
    assert source.counts.disconnects >= 1
    assert decode_threads() == []


async def test_http_404_is_failed(http_media: HttpMedia) -> None:
    source = open_camera(http_media.url("no-such-stream.m3u8"), camera_id="typo")
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        await wait_state(source, CameraState.FAILED, timeout_s=10)
        nursery.cancel_scope.cancel()
    assert "not found" in (source.last_error or "").lower()
