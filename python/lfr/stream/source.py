"""A camera as an actor: connect, decode in one worker thread, publish, reconnect.

The camera never waits for the analysis: a live input (and a file paced in real time)
publishes into a keep-latest slot, so the newest frame replaces one nobody has taken yet, and
the replaced frames are counted as dropped. A file read as fast as possible publishes every
frame into a small blocking mailbox instead (`lfr scan` analyses every frame of a file).

Failures are states, not crashes: a refused or lost connection waits in BACKOFF (exponential,
with jitter) and tries again, for as long as the daemon runs; an error a retry will not fix by
itself (404, unauthorised, not a video) is FAILED and retried at the slowest pace, so a camera
fixed by its owner comes back without a restart. A file that cannot be read is FAILED and the
source ends. A connected input that stops sending is STALLED after `stall_after_s`, and
FFmpeg's read timeout turns it into a disconnect shortly after. An RTSP server that refuses
the RTP transport asked for is handled by `lfr.stream.transport` (fall back, or FAILED with
the setting to change).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from typing import TYPE_CHECKING

import av.error
import trio

from lfr.errors import InputError
from lfr.kernel.actor import Actor
from lfr.kernel.mailbox import Mailbox, MailboxPolicy
from lfr.stream.decode import NoVideoStream, SessionEnd, SourceSpec, run_session
from lfr.stream.frame import Backoff, CameraState, CameraStats, Frame
from lfr.stream.inputs import InputKind
from lfr.stream.transport import RtspTransport, TransportError, TransportRefused, is_refusal

if TYPE_CHECKING:
    from lfr.telemetry import TraceRecorder

log = logging.getLogger(__name__)

# Errors that name a problem with the camera's address or content, not with the network.
_PERMANENT: tuple[type[BaseException], ...] = (
    av.error.HTTPClientError,
    av.error.FileNotFoundError,
    av.error.PermissionError,
    av.error.ProtocolNotFoundError,
    av.error.DemuxerNotFoundError,
    av.error.DecoderNotFoundError,
    av.error.IsADirectoryError,
    NoVideoStream,
    TransportRefused,
    FileNotFoundError,
    PermissionError,
)


def is_permanent(exc: BaseException, live: bool) -> bool:
    """Will retrying soon not help? A live input's "invalid data" is usually a half-answered
    connection (measured: a frozen RTSP server times out the open that way), so it is
    retried with backoff; a file's invalid data is what the file holds."""
    if isinstance(exc, av.error.InvalidDataError):
        return not live
    return isinstance(exc, _PERMANENT)


class SourceFailed(InputError):
    """The source ended FAILED (raised by `raise_if_failed`, e.g. for `lfr scan`)."""


class CameraSource(Actor[None]):
    def __init__(
        self,
        spec: SourceSpec,
        *,
        backoff: Backoff = Backoff(),
        stall_after_s: float | None = None,
        every_frame: bool | None = None,
        queue: int = 2,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(spec.camera_id)
        self.spec = spec
        self.backoff = backoff
        self.stall_after_s = (
            stall_after_s if stall_after_s is not None else max(0.2, spec.read_timeout_s / 2)
        )
        live = spec.kind.live or spec.realtime or spec.loop
        self.every_frame = (not live) if every_frame is None else every_frame
        policy = MailboxPolicy.BLOCK if self.every_frame else MailboxPolicy.KEEP_LATEST
        self.frames: Mailbox[Frame] = Mailbox(queue, policy, name=f"{spec.camera_id}.frames")
        self.counts = CameraStats()
        self.state = CameraState.CONNECTING
        self.last_error: str | None = None
        self.transport = RtspTransport(spec.camera_id, spec.rtsp_transport)
        self.state_changed = trio.Event()
        self._rng = rng or random.Random()
        self._next_index = 0
        self._last_decode = 0.0
        self._scope: trio.CancelScope | None = None
        # The decode thread lives as long as the camera: it must not hold one of the tokens
        # of trio's shared default limiter, which every short blocking call needs.
        self._thread_limiter = trio.CapacityLimiter(1)
        # Set by the camera's actor while a trace is recorded: each delivered frame's decode
        # span, recorded on the decode thread.
        self.tracer: TraceRecorder | None = None

    # --- the actor -------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self.frames.reopen()
        crashed = False
        try:
            with trio.CancelScope() as self._scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._watch_stalls)
                    task_status.started()
                    await self._connect_loop()
                    nursery.cancel_scope.cancel()
        except Exception:
            crashed = True  # the supervisor restarts us; consumers keep their mailbox
            raise
        finally:
            self._scope = None
            if not crashed:
                self.frames.close()
                if self.state is not CameraState.FAILED:
                    self._set_state(CameraState.ENDED)

    def request_stop(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    async def _connect_loop(self) -> None:
        attempt = 0
        while True:
            self._set_state(CameraState.CONNECTING)
            first_index = self._next_index
            try:
                end = await trio.to_thread.run_sync(
                    run_session,
                    self._session_spec(),
                    first_index,
                    self._deliver,
                    self._on_open,
                    self._on_decoded,
                    thread_name=f"lfr-decode:{self.name}",
                    limiter=self._thread_limiter,
                )
            except (av.error.FFmpegError, OSError, NoVideoStream) as exc:
                error: Exception = exc
                if self.spec.kind is InputKind.RTSP and is_refusal(exc):
                    error = self.transport.refused()
                if is_permanent(error, self.spec.kind.live):
                    self._fail(error)
                    if not self.spec.kind.live:
                        return
                    await self._wait(self.backoff.maximum_s, CameraState.FAILED)
                    continue
                self.counts.failures += 1
                self.last_error = _describe(error)
                if self._next_index > first_index:
                    self.counts.disconnects += 1
                log.info("camera %s: %s", self.name, self.last_error)
            else:
                if end is SessionEnd.ENDED:
                    return
                self.counts.disconnects += 1
                self.last_error = "the stream ended (server gone?)"
                log.info("camera %s: disconnected: stream ended", self.name)
            if self._next_index > first_index:
                attempt = 0  # it was live: start the backoff again from the bottom
            await self._wait(self.backoff.delay(attempt, self._rng), CameraState.BACKOFF)
            attempt += 1

    def _session_spec(self) -> SourceSpec:
        if self.spec.kind is not InputKind.RTSP:
            return self.spec
        return dataclasses.replace(self.spec, rtsp_transport=self.transport.current)

    async def _wait(self, delay: float, state: CameraState) -> None:
        self._set_state(state)
        await trio.sleep(delay)

    def _fail(self, exc: BaseException) -> None:
        self.counts.failures += 1
        self.last_error = _describe(exc)
        log.warning("camera %s failed: %s", self.name, self.last_error)
        self._set_state(CameraState.FAILED)

    async def _watch_stalls(self) -> None:
        tick = min(0.25, self.stall_after_s / 4)
        while True:
            await trio.sleep(tick)
            age = time.monotonic() - self._last_decode
            if self.state is CameraState.LIVE and age > self.stall_after_s:
                self.counts.stalls += 1
                self._set_state(CameraState.STALLED)
            elif self.state is CameraState.STALLED and age <= self.stall_after_s:
                self._set_state(CameraState.LIVE)

    # --- called from the decode thread (through trio.from_thread) or directly -------------

    def _on_open(self) -> None:
        self.counts.connects += 1
        self.transport.connected()
        self._last_decode = time.monotonic()

    def _on_decoded(self, admitted: bool) -> None:
        # Called in the decode thread without a trip into trio: plain writes of counters that
        # only this thread updates, read by trio for the stall watch and the status.
        self._last_decode = time.monotonic()
        self.counts.frames_decoded += 1
        if not admitted:
            self.counts.frames_skipped += 1

    def _deliver(self, frame: Frame) -> None:
        self._next_index = frame.index + 1
        if self.tracer is not None:
            self.tracer.decoded(
                self.name, frame.index, frame.t_decoded - frame.decode_s, frame.t_decoded
            )
        if self.every_frame:
            trio.from_thread.run(self._publish_wait, frame)
        else:
            trio.from_thread.run_sync(self._publish, frame)

    def _publish(self, frame: Frame) -> None:
        if self.state is not CameraState.LIVE:
            self._set_state(CameraState.LIVE)
        self.frames.put_nowait(frame)
        self.counts.frames_published += 1
        self.counts.frames_dropped = self.frames.dropped

    async def _publish_wait(self, frame: Frame) -> None:
        if self.state is not CameraState.LIVE:
            self._set_state(CameraState.LIVE)
        await self.frames.put(frame)
        self.counts.frames_published += 1

    def _set_state(self, state: CameraState) -> None:
        if state is not self.state:
            self.state = state
            self.state_changed.set()
            self.state_changed = trio.Event()

    # --- what others read ------------------------------------------------------------------

    def raise_if_failed(self) -> None:
        if self.state is CameraState.FAILED:
            raise SourceFailed(f"camera {self.name}: {self.last_error}")

    async def wait_state(self, *states: CameraState) -> CameraState:
        """Wait until the source is in one of `states` (use with a timeout)."""
        while self.state not in states:
            await self.state_changed.wait()
        return self.state

    def __repr__(self) -> str:
        return f"<CameraSource {self.name!r} {self.spec.kind.value} {self.state.value}>"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, av.error.ExitError):
        return "read timed out (no data from the camera)"
    if isinstance(exc, TransportError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
