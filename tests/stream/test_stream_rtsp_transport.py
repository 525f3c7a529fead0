"""RTP over TCP or UDP: a real GStreamer RTSP server on loopback that offers only one of them
(`461 Unsupported transport` for the other, as many cameras and encoders do), and a camera's
`rtsp_transport` setting ("auto" by default: TCP first, UDP when the server refuses it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from stream_helpers import decode_threads, next_frames, wait_state

from lfr.config import parse_config
from lfr.stream import Backoff, CameraState, open_camera
from lfr.stream.transport import RtspTransport, TransportFallback, TransportRefused
from support.rtsp import RtspServer, gstreamer_missing
from support.skips import require_package

FAST = Backoff(initial_s=0.2, maximum_s=1.0, jitter=0.1)


def _server(clip: Path, transport: str) -> Iterator[RtspServer]:
    require_package(gstreamer_missing())
    with RtspServer(clip, transport=transport) as server:
        yield server


@pytest.fixture
def udp_only(hamilton_clip: Path) -> Iterator[RtspServer]:
    yield from _server(hamilton_clip, "udp")


@pytest.fixture
def tcp_only(hamilton_clip: Path) -> Iterator[RtspServer]:
    yield from _server(hamilton_clip, "tcp")


@pytest.mark.rtsp
async def test_auto_falls_back_to_udp_on_a_udp_only_server(udp_only: RtspServer) -> None:
    source = open_camera(udp_only.url, camera_id="udp-cam", backoff=FAST)
    assert source.spec.rtsp_transport == "auto"
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        frames = await next_frames(source, 10, timeout_s=15)
        assert source.state is CameraState.LIVE
        nursery.cancel_scope.cancel()
    assert frames[-1].image.shape == (360, 640, 3)
    assert source.transport.current == "udp"
    assert source.counts.connects == 1
    assert "refused RTP over TCP" in (source.last_error or "")
    assert decode_threads() == []


@pytest.mark.rtsp
async def test_udp_is_remembered_across_reconnects(udp_only: RtspServer) -> None:
    source = open_camera(udp_only.url, camera_id="udp-cam", backoff=FAST, read_timeout_s=1.0)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        await next_frames(source, 3, timeout_s=15)
        udp_only.kill()
        await wait_state(source, CameraState.BACKOFF, CameraState.CONNECTING, timeout_s=5)
        await trio.to_thread.run_sync(udp_only.start)
        while source.frames.depth:
            source.frames.get_nowait()
        await next_frames(source, 3, timeout_s=20)
        nursery.cancel_scope.cancel()
    assert source.counts.connects == 2
    assert source.transport.current == "udp"
    # No second refusal: the reconnect asked for UDP straight away (the last error is a
    # refused connection of the moments the server was down, not a refused transport).
    assert "refused RTP over TCP" not in (source.last_error or "")


@pytest.mark.rtsp
@pytest.mark.parametrize(
    ("server", "forced", "refused", "offered"),
    [("udp_only", "tcp", "RTP over TCP", "udp"), ("tcp_only", "udp", "RTP over UDP", "tcp")],
)
async def test_a_forced_transport_the_server_refuses_says_which_setting_to_change(
    request: pytest.FixtureRequest, server: str, forced: str, refused: str, offered: str
) -> None:
    url = request.getfixturevalue(server).url
    source = open_camera(url, camera_id="gate", backoff=FAST, rtsp_transport=forced)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        await wait_state(source, CameraState.FAILED, timeout_s=10)
        nursery.cancel_scope.cancel()
    error = source.last_error or ""
    assert f"refused {refused}" in error
    assert 'rtsp_transport for camera "gate"' in error and f'"{offered}"' in error
    assert source.counts.connects == 0


@pytest.mark.rtsp
async def test_auto_uses_tcp_without_a_refusal_when_offered(tcp_only: RtspServer) -> None:
    source = open_camera(tcp_only.url, camera_id="tcp-cam", backoff=FAST)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        await next_frames(source, 5, timeout_s=15)
        nursery.cancel_scope.cancel()
    assert source.transport.current == "tcp"
    assert source.counts.failures == 0 and source.last_error is None


@pytest.mark.rtsp
async def test_forced_udp_plays_from_a_udp_only_server(udp_only: RtspServer) -> None:
    source = open_camera(udp_only.url, camera_id="udp", backoff=FAST, rtsp_transport="udp")
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        await next_frames(source, 5, timeout_s=15)
        nursery.cancel_scope.cancel()
    assert source.counts.failures == 0 and source.last_error is None


def test_auto_tries_tcp_then_udp_then_fails_and_starts_over() -> None:
    choice = RtspTransport("gate")
    assert choice.current == "tcp"
    step = choice.refused()
    assert isinstance(step, TransportFallback) and choice.current == "udp"
    final = choice.refused()
    assert isinstance(final, TransportRefused) and "both" in str(final)
    assert choice.current == "tcp"  # the slow retry of a FAILED camera starts from TCP again


def test_auto_goes_back_to_tcp_when_a_server_later_refuses_udp() -> None:
    choice = RtspTransport("gate")
    choice.refused()
    choice.connected()  # played over UDP for a while; then the server was reconfigured
    step = choice.refused()
    assert isinstance(step, TransportFallback) and choice.current == "tcp"


def test_a_forced_transport_never_switches() -> None:
    for setting, other in (("tcp", "udp"), ("udp", "tcp")):
        choice = RtspTransport("c", setting)
        assert choice.current == setting
        refusal = choice.refused()
        assert isinstance(refusal, TransportRefused) and f'"{other}"' in str(refusal)
        assert choice.current == setting
    with pytest.raises(ValueError, match="rtsp_transport"):
        RtspTransport("c", "http")


def test_rtsp_transport_in_the_config(tmp_path: Path) -> None:
    from lfr.errors import ConfigError

    def camera(url: str, transport: str) -> dict[str, object]:
        return {"id": "c", "url": url, "watchlist": "w", "rtsp_transport": transport}

    cfg = parse_config({"cameras": [camera("rtsp://10.0.0.5/s", "udp")]})
    assert open_camera(cfg.cameras[0]).spec.rtsp_transport == "udp"
    default = parse_config({"cameras": [{"id": "c", "url": "rtsp://h/s", "watchlist": "w"}]})
    assert default.cameras[0].rtsp_transport == "auto"
    with pytest.raises(ConfigError, match=r"cameras\[0\]\.rtsp_transport.*\"auto\", \"tcp\""):
        parse_config({"cameras": [camera("rtsp://10.0.0.5/s", "http")]})
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"")
    with pytest.raises(ConfigError, match=r"cameras\[0\]\.rtsp_transport.*rtsp:// cameras only"):
        parse_config({"cameras": [camera(str(clip), "tcp")]})
    with pytest.raises(ValueError, match="rtsp_transport"):
        open_camera("rtsp://127.0.0.1:1/x", rtsp_transport="multicast")
