"""The blocking half of a camera source: PyAV demux + decode, run in one worker thread.

Everything here runs in the thread that `trio.to_thread.run_sync` gives the source, and talks
back to trio only through `trio.from_thread`: a frame is handed over with `deliver`, and
`check_cancelled()` between frames ends the thread promptly when its actor is cancelled.
Pacing sleeps stay in this thread (`time.sleep` in slices of at most `CANCEL_CHECK_S`, each
followed by a cancellation check): a paced camera waits 25-30 times a second, and a round
trip into trio for each wait cost more CPU than decoding the frame's colour conversion
(measured: ~0.5 ms of Python and scheduler work per frame, a third of a 720p decode). The
one wait trio cannot interrupt is FFmpeg's own read, bounded by the read timeout given to
`av.open`.

A session ends by returning (the input ended: EOF, or a live server that went away, which
PyAV reports as a plain end of the packet iterator) or by raising (`av.error.FFmpegError`
and friends); the source decides what either means. What it raises names the input by its
redacted URL: PyAV puts the URL it was given (credentials and all) into its errors, so they
are rebuilt here, the one place that holds the real URL, before anyone can log them.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import av
import av.error
import numpy as np
import trio

from lfr.errors import InputError
from lfr.imageio import ImageError, load_image
from lfr.stream.decoder_setup import DecoderSetup
from lfr.stream.frame import Frame
from lfr.stream.inputs import InputKind, folder_images, local_path, open_options, redact

log = logging.getLogger(__name__)


class NoVideoStream(InputError):
    """The input opened but carries no video."""


class SessionEnd(enum.Enum):
    ENDED = "ended"  # a file or folder reached its end
    DISCONNECTED = "disconnected"  # a live input stopped sending


@dataclass(frozen=True, slots=True)
class SourceSpec:
    camera_id: str
    url: str = field(repr=False)  # for opening only; show `shown_url`
    kind: InputKind
    fps: float | None = None  # analysis rate cap
    realtime: bool = False  # pace files at their own rate (live inputs always are)
    loop: bool = False
    open_timeout_s: float = 3.0
    read_timeout_s: float = 1.5
    rtsp_transport: str = "auto"  # "auto" | "tcp" | "udp" (lfr.stream.transport)

    @property
    def shown_url(self) -> str:
        """The URL without its credentials: the form every message and reply uses."""
        return redact(self.url)


class RateCap:
    """Lets through at most `fps` frames per second of `clock` (wall time for live and paced
    inputs, media time for files read as fast as possible), evenly spaced."""

    def __init__(self, fps: float | None) -> None:
        self.period = 1.0 / fps if fps else 0.0
        self.next_due: float | None = None

    def admit(self, t: float) -> bool:
        if self.period == 0.0:
            return True
        due = self.next_due
        if due is not None and t < due - 1e-6:
            return False
        # On time: keep the even spacing. Late by a whole period (or first): restart from t.
        self.next_due = (
            t + self.period if due is None or t - due >= self.period else due + self.period
        )
        return True


CANCEL_CHECK_S = 0.05  # longest pacing sleep between two cancellation checks


def sleep_unless_cancelled(delay: float) -> None:
    """Sleep `delay` seconds in this worker thread; a stop of the trio side ends it within
    `CANCEL_CHECK_S` (trio.Cancelled is raised here)."""
    end = time.monotonic() + delay
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(left, CANCEL_CHECK_S))
        trio.from_thread.check_cancelled()


class Pacer:
    """Sleeps (interruptibly) until a frame's media time comes round on the wall clock;
    re-anchors instead of bursting when decoding fell behind or the clock jumped."""

    def __init__(self) -> None:
        self.anchor: float | None = None

    def reset(self) -> None:
        self.anchor = None

    def wait(self, media_t: float) -> None:
        now = time.monotonic()
        if self.anchor is None or not -1.0 < (self.anchor + media_t) - now < 5.0:
            self.anchor = now - media_t
            return
        delay = self.anchor + media_t - now
        if delay > 0:
            sleep_unless_cancelled(delay)


def run_session(
    spec: SourceSpec,
    first_index: int,
    deliver: Callable[[Frame], None],
    on_open: Callable[[], None],
    on_decoded: Callable[[bool], None],
) -> SessionEnd:
    """Decode `spec` until it ends; returns why. Called in a worker thread."""
    with _errors_without_credentials():
        if spec.kind is InputKind.FOLDER:
            frames = _folder_frames(spec, on_open)
        else:
            frames = _container_frames(spec, on_open)
        cap, pacer = RateCap(spec.fps), Pacer()
        paced = spec.realtime or spec.loop
        index = first_index
        # closing(): however the loop ends (a stop raises Cancelled here), the container is
        # closed now, in this thread, not whenever the generator happens to be collected.
        with closing(frames):
            for pts_s, decoded, picture_s in frames:
                trio.from_thread.check_cancelled()
                if pts_s is None:
                    pacer.reset()
                elif paced:
                    pacer.wait(pts_s)
                clock = time.monotonic() if (paced or spec.kind.live or pts_s is None) else pts_s
                admitted = cap.admit(clock)
                on_decoded(admitted)
                if not admitted:
                    continue
                t_convert = time.monotonic()
                image = decoded()
                t = time.monotonic()
                decode_s = picture_s + (t - t_convert)
                deliver(Frame(spec.camera_id, index, pts_s, t, time.time(), image, decode_s))
                index += 1
        return SessionEnd.DISCONNECTED if spec.kind.live else SessionEnd.ENDED


@contextmanager
def _errors_without_credentials() -> Iterator[None]:
    """PyAV's errors name the input by the URL it was given, credentials and all: re-raise
    each as the same error (class, errno, message) naming it by its redacted URL. `from None`
    drops the original, whose text holds the real URL."""
    try:
        yield
    except av.error.FFmpegError as exc:
        raise type(exc)(
            exc.errno or 0,
            redact(str(exc.strerror or "")),
            None if exc.filename is None else redact(str(exc.filename)),
            None,
        ) from None


# (media time, the conversion to BGR, seconds spent decoding the picture)
Decoded = tuple[float | None, Callable[[], np.ndarray], float]


def _container_frames(
    spec: SourceSpec, on_open: Callable[[], None]
) -> Generator[Decoded, None, None]:
    """Frames of a stream or file, looped when asked. Conversion to BGR is deferred to the
    caller so that frames over the rate cap cost no colour conversion."""
    options, fmt, timeout = open_options(
        spec.kind,
        open_timeout_s=spec.open_timeout_s,
        read_timeout_s=spec.read_timeout_s,
        rtsp_transport=spec.rtsp_transport,
    )
    url = str(local_path(spec.url)) if spec.kind is InputKind.FILE else spec.url
    decoder = DecoderSetup(spec.fps, paced=spec.kind.live or spec.realtime or spec.loop)
    offset = 0.0
    opened = False
    while True:
        container = av.open(url, "r", format=fmt, options=options, timeout=timeout)
        try:
            if not container.streams.video:
                raise NoVideoStream(f"{spec.shown_url}: no video stream")
            stream = container.streams.video[0]
            decoder.configure(stream)
            if not opened:
                trio.from_thread.run_sync(on_open)
                opened = True
            last = 0.0
            rate = float(stream.average_rate or 25)
            for packet in container.demux(stream):  # what container.decode() does, timed
                t = time.monotonic()
                pictures = packet.decode()
                decode_s = (time.monotonic() - t) / max(1, len(pictures))
                for frame in pictures:
                    pts = None if frame.time is None else float(frame.time) + offset
                    decoder.frame_out(pts)
                    last = pts if pts is not None else last
                    yield pts, _bgr(frame), decode_s
        finally:
            container.close()
        if not spec.loop or spec.kind is not InputKind.FILE:
            return
        offset = last + 1.0 / rate  # continue the media clock across the loop


def _bgr(frame: av.VideoFrame) -> Callable[[], np.ndarray]:
    return lambda: np.ascontiguousarray(frame.to_ndarray(format="bgr24"))


def _folder_frames(spec: SourceSpec, on_open: Callable[[], None]) -> Generator[Decoded, None, None]:
    folder = local_path(spec.url)
    images = folder_images(folder)
    if not images:
        raise NoVideoStream(f"{spec.shown_url}: no images (.jpg, .png, ...) in the folder")
    trio.from_thread.run_sync(on_open)
    period = 1.0 / spec.fps if spec.fps else None
    t = 0.0
    skipped: set[Path] = set()
    while True:
        for path in images:
            start = time.monotonic()
            image = None if path in skipped else _read_image(path)
            if image is None:
                skipped.add(path)
                continue
            yield (t if period else None), _constant(image), time.monotonic() - start
            t += period or 0.0
        if not spec.loop:
            return


def _constant(image: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: image


def _read_image(path: Path) -> np.ndarray | None:
    """One still image as BGR, read like an enrolment photo (`lfr.imageio`: format from the
    content, size checked from the header before anything is decoded, so a decompression
    bomb dropped into the folder is refused without allocating its frame), or None for a
    file that is not a usable image: skipped, so one bad file does not stop the rest."""
    try:
        return load_image(path)
    except ImageError as exc:
        log.warning("image folder: skipped %s", exc)
        return None
