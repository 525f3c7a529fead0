"""Test videos made with PyAV, which bundles FFmpeg's libraries, never with the `ffmpeg`
command: a fresh machine with only the venv has the one but not the other.

    make_clip(path, seconds=1)           # a test-pattern H.264 MP4 (160x120, 25 fps)
    make_hls(clip, folder, seconds=3)    # an HLS rendition: folder/index.m3u8 + 1 s segments
    make_jpegs(clip, folder, count=10)   # the first frames as JPEG files
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from support.images import encode


def clip_frames(clip: Path, seconds: float | None = None) -> tuple[Fraction, Iterator[np.ndarray]]:
    """The clip's frame rate and its frames (BGR), up to `seconds` of them."""
    with av.open(str(clip)) as probe:
        rate = Fraction(probe.streams.video[0].average_rate or 25)

    def frames() -> Iterator[np.ndarray]:
        limit = None if seconds is None else round(seconds * rate)
        with av.open(str(clip)) as container:
            for n, frame in enumerate(container.decode(video=0)):
                if limit is not None and n >= limit:
                    return
                yield frame.to_ndarray(format="bgr24")

    return rate, frames()


def write_h264(
    frames: Iterable[np.ndarray],
    path: Path,
    rate: Fraction,
    *,
    fmt: str | None = None,
    gop: int = 25,
    options: dict[str, str] | None = None,
    x264_params: str | None = None,
) -> Path:
    """Encode BGR frames as H.264 (libx264, ultrafast) into `path` (`fmt`: the muxer, e.g.
    "hls"; by default from the file name), with a key frame every `gop` frames; `x264_params`
    adds encoder settings (e.g. "bframes=2:b-pyramid=none" for B-frames)."""
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = gop
        stream.codec_context.options = {"preset": "ultrafast"} | (
            {"x264-params": x264_params} if x264_params else {}
        )
        for n, image in enumerate(frames):
            if n == 0:
                stream.height, stream.width = image.shape[:2]
            frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
            frame.pts, frame.time_base = n, 1 / rate
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def make_clip(
    path: Path,
    seconds: float = 1.0,
    size: tuple[int, int] = (160, 120),
    rate: int = 25,
    x264_params: str | None = None,
) -> Path:
    """A moving test pattern (colour bars that shift one step a frame)."""
    w, h = size
    bars = (np.arange(w) * 8 // w * 32).astype(np.uint8)

    def frames() -> Iterator[np.ndarray]:
        for n in range(round(seconds * rate)):
            row = np.roll(bars, n)
            yield np.ascontiguousarray(
                np.stack([row, 255 - row, row // 2], axis=-1)[None].repeat(h, 0)
            )

    return write_h264(frames(), path, Fraction(rate), gop=rate, x264_params=x264_params)


def make_hls(clip: Path, out: Path, seconds: float = 3.0) -> Path:
    """An HLS rendition (1 s segments) of the first seconds of `clip`; returns the playlist."""
    out.mkdir(parents=True, exist_ok=True)
    rate, frames = clip_frames(clip, seconds)
    playlist = out / "index.m3u8"
    options = {"hls_time": "1", "hls_list_size": "0"}
    return write_h264(frames, playlist, rate, fmt="hls", gop=15, options=options)


def make_jpegs(clip: Path, out: Path, count: int = 10) -> list[Path]:
    """The first `count` frames of `clip` as JPEG files, in order."""
    out.mkdir(parents=True, exist_ok=True)
    _rate, frames = clip_frames(clip)
    paths = []
    for n, image in zip(range(count), frames, strict=False):
        path = out / f"{n + 1:03d}.jpg"
        path.write_bytes(encode(image, "mjpeg", "yuvj420p"))
        paths.append(path)
    return paths
