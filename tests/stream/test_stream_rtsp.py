"""Camera sources against a real GStreamer RTSP server on loopback: frames, a killed server,
a frozen server, no server, a wrong path. Each test runs for a few seconds."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pytest
import trio
from stream_helpers import decode_threads, next_frames, wait_state

from lfr.stream import Backoff, CameraState, open_camera
from support.rtsp import RtspServer

pytestmark = pytest.mark.rtsp

FAST = Backoff(initial_s=0.2, maximum_s=1.0, jitter=0.1)


async def test_frames_arrive_and_thread_ends_with_the_actor(rtsp_server: RtspServer) -> None:
    source = open_camera(rtsp_server.url, camera_id="gate", backoff=FAST)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        frames = await next_frames(source, 10, timeout_s=10)
        assert source.state is CameraState.LIVE
        assert decode_threads() == ["lfr-decode:gate"]
        nursery.cancel_scope.cancel()
    img = frames[-1].image
    assert img.shape == (360, 640, 3) and img.dtype == np.uint8 and img.flags.c_contiguous
    assert all(f.camera_id == "gate" for f in frames)
    assert [f.index for f in frames] == sorted({f.index for f in frames})
    assert source.counts.connects == 1 and source.counts.failures == 0
    assert source.state is CameraState.ENDED and source.frames.closed
    assert decode_threads() == []


async def test_reconnects_after_server_is_killed(rtsp_server: RtspServer) -> None:
    source = open_camera(rtsp_server.url, camera_id="cam", backoff=FAST, read_timeout_s=1.0)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        before = await next_frames(source, 5, timeout_s=10)
        rtsp_server.kill()
        # The packet iterator just ends (or the read times out): a disconnect, not a crash.
        await wait_state(source, CameraState.BACKOFF, timeout_s=5)
        assert source.counts.disconnects >= 1
        await trio.sleep(0.5)  # a few refused retries while the camera is down
        await trio.to_thread.run_sync(rtsp_server.start)
        while source.frames.depth:  # anything decoded before the kill
            source.frames.get_nowait()
        after = await next_frames(source, 5, timeout_s=15)
        assert source.state is CameraState.LIVE
        nursery.cancel_scope.cancel()
    assert after[0].index > before[-1].index
    assert source.counts.connects >= 2
    assert decode_threads() == []


async def test_frozen_server_is_stalled_within_read_timeout(rtsp_server: RtspServer) -> None:
    read_timeout = 1.5
    source = open_camera(
        rtsp_server.url, camera_id="cam", backoff=FAST, read_timeout_s=read_timeout
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        await next_frames(source, 5, timeout_s=10)
        rtsp_server.freeze()
        took = await wait_state(source, CameraState.STALLED, timeout_s=read_timeout + 1.0)
        assert took <= read_timeout + 0.5
        assert source.counts.stalls == 1
        # Still frozen: FFmpeg's read timeout turns the stall into a disconnect, then retries.
        await wait_state(
            source, CameraState.BACKOFF, CameraState.CONNECTING, timeout_s=3 * read_timeout + 2
        )
        rtsp_server.thaw()
        while source.frames.depth:
            source.frames.get_nowait()
        await next_frames(source, 5, timeout_s=20)  # resumed: reconnected to the thawed server
        assert source.state is CameraState.LIVE
        nursery.cancel_scope.cancel()
    assert decode_threads() == []


async def test_cancel_while_frozen_ends_the_decode_thread(rtsp_server: RtspServer) -> None:
    read_timeout = 1.0
    source = open_camera(rtsp_server.url, camera_id="cam", read_timeout_s=read_timeout)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        await next_frames(source, 3, timeout_s=10)
        rtsp_server.freeze()
        await trio.sleep(0.2)
        t0 = time.monotonic()
        nursery.cancel_scope.cancel()
    # The one uninterruptible wait is FFmpeg's read, bounded by about twice the read timeout.
    assert time.monotonic() - t0 < 2 * read_timeout + 1.5
    assert decode_threads() == []
    rtsp_server.thaw()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_no_server_backs_off_and_retries_without_crashing() -> None:
    source = open_camera(
        f"rtsp://127.0.0.1:{_free_port()}/cam",
        camera_id="dead",
        backoff=Backoff(initial_s=0.05, maximum_s=0.2, jitter=0.1),
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        await wait_state(source, CameraState.BACKOFF, timeout_s=5)
        await trio.sleep(1.0)
        assert source.state in (CameraState.BACKOFF, CameraState.CONNECTING)
        nursery.cancel_scope.cancel()
    assert source.counts.failures >= 3
    assert source.counts.connects == 0
    assert source.last_error is not None and "refused" in source.last_error.lower()
    assert decode_threads() == []


async def test_wrong_path_is_a_clear_failed_state(rtsp_server: RtspServer) -> None:
    url = rtsp_server.url.rsplit("/", 1)[0] + "/no-such-mount"
    source = open_camera(url, camera_id="typo", backoff=FAST)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        await wait_state(source, CameraState.FAILED, timeout_s=10)
        nursery.cancel_scope.cancel()
    assert source.last_error is not None and "not found" in source.last_error.lower()
    assert source.counts.connects == 0
    assert decode_threads() == []


async def test_a_frozen_camera_does_not_hold_up_the_others(
    rtsp_server: RtspServer, hamilton_clip: Path
) -> None:
    frozen = open_camera(rtsp_server.url, camera_id="frozen", read_timeout_s=2.0)
    other = open_camera(str(hamilton_clip), camera_id="other", realtime=True)
    async with trio.open_nursery() as nursery:
        await nursery.start(frozen.run)
        await nursery.start(other.run)
        await next_frames(frozen, 3, timeout_s=10)
        rtsp_server.freeze()
        await wait_state(frozen, CameraState.STALLED, timeout_s=3)
        while other.frames.depth:
            other.frames.get_nowait()
        # While one decode thread sits in a blocked read, the event loop and the other
        # camera's thread carry on at full rate.
        t0 = trio.current_time()
        got = await next_frames(other, 15, timeout_s=2)
        assert trio.current_time() - t0 < 1.0
        assert frozen.state is CameraState.STALLED
        nursery.cancel_scope.cancel()
    assert len({f.index for f in got}) == 15
    rtsp_server.thaw()
    assert decode_threads() == []
