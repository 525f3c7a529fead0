"""Camera sources: PyAV decode in worker threads, bridged into trio, with live semantics.

    source = open_camera("rtsp://127.0.0.1:8554/cam", camera_id="gate", fps=10)
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        async for frame in source.frames: ...

`open_camera` also takes a camera's settings (`lfr.config.CameraConfig` has them); the stream
layer sits below the config, so it names only the fields it reads.
"""

from __future__ import annotations

import random
from typing import Protocol

from lfr.stream.decode import NoVideoStream, RateCap, SourceSpec
from lfr.stream.frame import Backoff, CameraState, CameraStats, Frame
from lfr.stream.inputs import RTSP_TRANSPORTS, InputKind, classify, redact
from lfr.stream.source import CameraSource, SourceFailed
from lfr.stream.transport import TransportRefused

DEFAULT_OPEN_TIMEOUT_S = 3.0
DEFAULT_READ_TIMEOUT_S = 1.5


class CameraSettings(Protocol):
    """What `open_camera` reads of a configured camera."""

    @property
    def id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def fps(self) -> float | None: ...
    @property
    def loop(self) -> bool: ...
    @property
    def realtime(self) -> bool: ...
    @property
    def open_timeout_s(self) -> float: ...
    @property
    def read_timeout_s(self) -> float: ...
    @property
    def rtsp_transport(self) -> str: ...


__all__ = [
    "RTSP_TRANSPORTS",
    "Backoff",
    "CameraSettings",
    "CameraSource",
    "CameraState",
    "CameraStats",
    "Frame",
    "InputKind",
    "NoVideoStream",
    "RateCap",
    "SourceFailed",
    "SourceSpec",
    "TransportRefused",
    "classify",
    "open_camera",
    "redact",
]


def open_camera(
    source: str | CameraSettings,
    *,
    camera_id: str | None = None,
    fps: float | None = None,
    realtime: bool | None = None,
    loop: bool | None = None,
    every_frame: bool | None = None,
    open_timeout_s: float | None = None,
    read_timeout_s: float | None = None,
    rtsp_transport: str | None = None,
    stall_after_s: float | None = None,
    backoff: Backoff | None = None,
    queue: int = 2,
    rng: random.Random | None = None,
) -> CameraSource:
    """A CameraSource actor for a URL, path or camera config (keywords override the config).

    Defaults: live inputs publish keep-latest. A file given as a string is read as fast as
    possible, every frame (`every_frame`, what `lfr scan` wants), unless `realtime` or
    `loop`, which pace it at its own rate with live semantics; a file camera from the config
    is paced (`realtime = true` there by default), as the daemon treats every camera as live.
    An RTSP camera asks for RTP over TCP first, UDP when the server refuses it
    (`rtsp_transport`, see `lfr.stream.transport`). ValueError for a URL lfr cannot read or
    an unknown `rtsp_transport`.
    """
    if isinstance(source, str):
        url, cfg_id, cfg_fps, cfg_loop, cfg_rt = source, None, None, False, False
        open_s, read_s, transport = DEFAULT_OPEN_TIMEOUT_S, DEFAULT_READ_TIMEOUT_S, "auto"
    else:
        url, cfg_id, cfg_fps, cfg_loop = source.url, source.id, source.fps, source.loop
        cfg_rt = source.realtime
        open_s, read_s = source.open_timeout_s, source.read_timeout_s
        transport = source.rtsp_transport
    kind = classify(url)
    spec = SourceSpec(
        camera_id=camera_id or cfg_id or "camera",
        url=url,
        kind=kind,
        fps=fps if fps is not None else cfg_fps,
        realtime=realtime if realtime is not None else cfg_rt,
        loop=loop if loop is not None else cfg_loop,
        open_timeout_s=open_timeout_s if open_timeout_s is not None else open_s,
        read_timeout_s=read_timeout_s if read_timeout_s is not None else read_s,
        rtsp_transport=rtsp_transport or transport,
    )
    if spec.fps is not None and not spec.fps > 0:
        raise ValueError(f"fps must be > 0, got {spec.fps}")
    return CameraSource(
        spec,
        backoff=backoff or Backoff(),
        stall_after_s=stall_after_s,
        every_frame=every_frame,
        queue=queue,
        rng=rng,
    )
