"""How a source's video decoder is set up: its threads, and the frames it may skip.

Threads. A live input, or a file paced like one, decodes one frame as it arrives: FFmpeg's
frame threads (a context and a thread per core, per camera) would only hold frames in flight,
adding a frame of latency per thread and their memory to every camera, so it decodes with
slice threads like any live camera. A file read as fast as possible keeps frame threads:
there, throughput is what counts.

Skipping. A camera whose analysis cap is at most half its stream's rate analyses one frame in
two or fewer. A non-reference frame (most B-frames) is never needed to decode another one, so
the decoder is asked to skip them (`skip_frame = NONREF`): they are never decoded, converted
or counted in `frames_decoded`. On the 720p Hamilton clip (x264 veryfast, 20% B-frames) this
saves 14% of the decoding. The frames left must still feed the cap: if over the first
`CHECK_AFTER_S` seconds of media fewer than `MIN_HEADROOM` times the cap come out (a stream
with few reference frames), skipping is turned off for the rest of the source's life.
"""

from __future__ import annotations

import av

CHECK_AFTER_S = 3.0  # media seconds of skipped decoding before the rate check
MIN_HEADROOM = 1.5  # frames out per second must stay >= this x the analysis cap
MIN_RATIO = 2.0  # skip only when the stream's rate is at least this x the cap


class DecoderSetup:
    """One source's decoder policy; lives as long as the source (across reopens and loops),
    so a verdict that skipping starves the cap sticks."""

    def __init__(self, fps: float | None, paced: bool) -> None:
        self.fps = fps
        self.paced = paced
        self.skipping = False  # the current stream skips non-reference frames
        self._allowed = fps is not None
        self._stream: av.video.stream.VideoStream | None = None
        self._checked = False
        self._first_t: float | None = None
        self._frames = 0

    def configure(self, stream: av.video.stream.VideoStream) -> None:
        """Set up a freshly opened stream (before its first packet is decoded)."""
        stream.thread_type = "SLICE" if self.paced else "AUTO"
        rate = float(stream.average_rate or 0)
        self._stream, self._first_t, self._frames = stream, None, 0
        self.skipping = bool(self._allowed and self.fps and rate >= MIN_RATIO * self.fps)
        if self.skipping:
            stream.codec_context.skip_frame = "NONREF"

    def frame_out(self, media_t: float | None) -> None:
        """Count a decoded frame; turn skipping off if the frames left cannot feed the cap."""
        if not self.skipping or self._checked:
            return
        if media_t is None:
            self._stop_skipping()  # no media clock to check the rate by: do not risk it
            return
        if self._first_t is None:
            self._first_t = media_t
        self._frames += 1
        elapsed = media_t - self._first_t
        if elapsed >= CHECK_AFTER_S:
            assert self.fps is not None
            if self._frames / elapsed < MIN_HEADROOM * self.fps:
                self._stop_skipping()
            else:
                self._checked = True  # enough frames: keep skipping, for good

    def _stop_skipping(self) -> None:
        assert self._stream is not None
        self._stream.codec_context.skip_frame = "DEFAULT"
        self.skipping = self._allowed = False
