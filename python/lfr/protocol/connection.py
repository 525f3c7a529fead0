"""One client connection: auth, hello, then requests and subscription pumps.

The reader task handles requests one at a time, in order. Each subscribed topic has a pump task
that moves events from its hub queue to the socket. All writes go through one lock and a send
deadline: a client that stops reading is disconnected after `send_timeout_s`, and meanwhile the
hub keeps dropping (and counting) its events, so nobody upstream waits.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import trio

from lfr.protocol import messages as m
from lfr.protocol.codec import FrameDecoder, FrameError, encode_frame
from lfr.protocol.hub import Subscriber
from lfr.protocol.listeners import is_peer_gone
from lfr.protocol.requests import RequestHandlers, error_for

if TYPE_CHECKING:
    from lfr.protocol.server import ServerContext

log = logging.getLogger(__name__)
REPLAY_BATCH = 256
MAX_REPLAY_PASSES = 8


class Disconnect(Exception):
    """Close this connection, telling the client why (`code`) when the stream still works;
    `code=None` closes silently (the reason was already sent as a reply)."""

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Pump:
    sub: Subscriber
    done: trio.Event = field(default_factory=trio.Event)
    delivered_seq: int | None = None
    acked_seq: int | None = None
    started: bool = False
    lag_times: deque[float] = field(default_factory=deque)


class Connection:
    def __init__(
        self, ctx: ServerContext, stream: trio.abc.Stream, peer: str, token: bytes | None
    ) -> None:
        self.ctx = ctx
        self.peer = peer
        self.client_name = ""
        self.pumps: dict[str, Pump] = {}
        self._stream = stream
        self._token = token
        self._decoder = FrameDecoder(ctx.settings.limits)
        self._inbox: deque[dict[str, Any]] = deque()
        self._send_lock = trio.Lock()
        self._broken = False
        self._nursery: trio.Nursery | None = None
        self._handlers = RequestHandlers(self)

    # ---- lifecycle --------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                await self._handshake()
                await self._serve()
                nursery.cancel_scope.cancel()
        except* (Disconnect, FrameError) as group:
            exc = group.exceptions[0]
            code = getattr(exc, "code", None)
            if code is not None:
                await self._notify(m.error_notice(code, str(exc)))
        except* (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as group:
            if not all(is_peer_gone(e) for e in group.exceptions):
                log.warning("connection %s failed: %r", self.peer, group.exceptions[0])
        except* Exception:  # a bug here must cost one connection, never the server
            log.exception("connection %s failed", self.peer)
        finally:
            for pump in self.pumps.values():
                pump.sub.close()
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(self._stream)

    async def _notify(self, message: dict[str, Any]) -> None:
        """Best effort: the last word before closing."""
        if self._broken:
            return
        with trio.move_on_after(1.0):
            with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                await self._stream.send_all(encode_frame(message))

    async def send(self, data: bytes) -> None:
        async with self._send_lock:
            if self._broken:
                raise trio.ClosedResourceError("connection already failed")
            with trio.move_on_after(self.ctx.settings.send_timeout_s) as scope:
                try:
                    await self._stream.send_all(data)
                except BaseException:
                    self._broken = True
                    raise
            if scope.cancelled_caught:
                self._broken = True  # a frame may be half written: the stream is unusable
                raise Disconnect(m.ErrorCode.TOO_SLOW, "client stopped reading")

    async def send_message(self, message: dict[str, Any]) -> None:
        await self.send(encode_frame(message, self.ctx.settings.limits.max_frame_bytes))

    async def receive(self) -> dict[str, Any] | None:
        """Next decoded message, None at a clean end of stream."""
        while not self._inbox:
            data = await self._stream.receive_some(self._decoder.wanted())
            if not data:
                if self._decoder.pending:
                    raise FrameError(
                        m.ErrorCode.MALFORMED_FRAME, "connection closed inside a frame"
                    )
                return None
            self._inbox.extend(self._decoder.feed(data))
        return self._inbox.popleft()

    # ---- handshake and request loop ---------------------------------------------------------
    async def _handshake(self) -> None:
        try:
            await self._handshake_steps()
        except m.ProtocolError as exc:
            await self._refuse(exc)
            raise Disconnect(None, str(exc)) from None

    async def _handshake_steps(self) -> None:
        with trio.move_on_after(self.ctx.settings.handshake_timeout_s) as scope:
            if self._token is not None:
                request = await self._expect(
                    m.Auth,
                    m.ErrorCode.AUTH_REQUIRED,
                    "authenticate first: send `auth` with the token",
                )
                assert isinstance(request, m.Auth)
                if not hmac.compare_digest(request.token.encode(), self._token):
                    raise m.ProtocolError(
                        m.ErrorCode.AUTH_FAILED, "wrong token", request_id=request.id
                    )
                await self.send_message(m.reply_ok(request.id, {"authenticated": True}))
            hello = await self._expect(m.Hello, m.ErrorCode.HELLO_REQUIRED, "say `hello` first")
            assert isinstance(hello, m.Hello)
            if hello.version not in m.SUPPORTED_VERSIONS:
                raise m.ProtocolError(
                    m.ErrorCode.UNSUPPORTED_VERSION,
                    f"protocol version {hello.version} is not supported; this server speaks "
                    f"{sorted(m.SUPPORTED_VERSIONS)}",
                    request_id=hello.id,
                )
            self.client_name = hello.client[:64]
            await self.send_message(
                m.reply_ok(hello.id, self.ctx.hello_result(authenticated=self._token is not None))
            )
        if scope.cancelled_caught:
            raise Disconnect(
                m.ErrorCode.TIMEOUT,
                f"no handshake within {self.ctx.settings.handshake_timeout_s:g}s",
            )

    async def _expect(self, kind: type[m.Request], code: str, message: str) -> m.Request:
        while True:
            raw = await self.receive()
            if raw is None:
                raise trio.BrokenResourceError("client left during the handshake")
            try:
                request = m.parse_request(raw)
            except m.ProtocolError as exc:
                await self._refuse(exc)
                raise Disconnect(None, str(exc)) from None
            if isinstance(request, kind):
                return request
            if isinstance(request, m.Auth):  # auth where none is needed: harmless
                await self.send_message(m.reply_ok(request.id, {"authenticated": False}))
                continue
            await self._refuse(m.ProtocolError(code, message, request_id=request.id))
            raise Disconnect(None, message)

    async def _refuse(self, exc: m.ProtocolError) -> None:
        await self.send_message(m.reply_error(exc.request_id, exc.code, str(exc)))

    async def _serve(self) -> None:
        while True:
            raw = await self.receive()
            if raw is None:
                return
            try:
                request = m.parse_request(raw)
            except m.ProtocolError as exc:
                await self._refuse(exc)
                continue
            after: list[Callable[[], Awaitable[None] | None]] = []
            try:
                result = await self._handlers.dispatch(request, after)
                frame = encode_frame(
                    m.reply_ok(request.id, result), self.ctx.settings.limits.max_frame_bytes
                )
            except Exception as exc:
                code, text = error_for(exc)
                if code == m.ErrorCode.INTERNAL:
                    log.exception("request %s from %s failed", request.TYPE, self.peer)
                frame = encode_frame(m.reply_error(request.id, code, text))
            await self.send(frame)
            for step in after:
                await _maybe_await(step())

    # ---- subscriptions ----------------------------------------------------------------------
    def add_pump(self, topic: str, sub: Subscriber) -> Pump:
        """Own `sub` from now on (closed with the connection), before its task starts."""
        pump = Pump(sub)
        self.pumps[topic] = pump
        return pump

    def start_pump(self, topic: str, pump: Pump, since_seq: int | None) -> None:
        assert self._nursery is not None
        pump.started = True
        self._nursery.start_soon(self._pump, topic, pump, since_seq)

    async def stop_pump(self, topic: str) -> None:
        pump = self.pumps.pop(topic, None)
        if pump is not None:
            pump.sub.close()
            if pump.started:
                await pump.done.wait()

    async def _pump(self, topic: str, pump: Pump, since_seq: int | None) -> None:
        try:
            last = since_seq
            if topic == "alerts" and since_seq is not None:
                last = await self._replay(pump, since_seq)
            while True:
                backlog = await pump.sub.take()
                if pump.sub.closed:
                    return
                frames = []
                for seq, frame in backlog.items:
                    if last is None or seq > last:  # replayed already, or a duplicate
                        frames.append(frame)
                        last = seq
                if frames:
                    pump.delivered_seq = last  # before the send: an ack may beat our wakeup
                    await self.send(b"".join(frames))
                if backlog.missed:
                    await self.send_message(m.lagged(topic, backlog.missed, last))
                    self._note_lag(pump)
        finally:
            pump.done.set()

    def _note_lag(self, pump: Pump) -> None:
        now = time.monotonic()
        window = self.ctx.settings.lag_window_s
        pump.lag_times.append(now)
        while pump.lag_times and now - pump.lag_times[0] > window:
            pump.lag_times.popleft()
        if len(pump.lag_times) > self.ctx.settings.max_lag_episodes:
            raise Disconnect(
                m.ErrorCode.TOO_SLOW,
                f"lagged {len(pump.lag_times)} times in {window:g}s; reconnect with since_seq",
            )

    async def _replay(self, pump: Pump, since_seq: int) -> int:
        """Send persisted alerts after `since_seq`; the live queue (registered before this
        started) covers the rest. If it overflowed meanwhile, read the store again: what was
        dropped was persisted before it was published."""
        last = since_seq
        for _ in range(MAX_REPLAY_PASSES):
            while True:
                batch = await self.ctx.api.alerts_since(last, REPLAY_BATCH)
                frames = []
                for alert in batch:
                    seq = alert.get("seq")
                    if not isinstance(seq, int) or seq <= last:
                        raise RuntimeError(f"alerts_since({last}) returned seq {seq!r}")
                    frames.append(encode_frame(m.event("alerts", seq, dict(alert))))
                    last = seq
                if frames:
                    pump.delivered_seq = last
                    await self.send(b"".join(frames))
                if len(batch) < REPLAY_BATCH:
                    break
            if not pump.sub.discard_backlog_if_overflowed():
                return last
        raise Disconnect(m.ErrorCode.TOO_SLOW, "alerts arrive faster than the replay")


async def _maybe_await(value: Awaitable[None] | None) -> None:
    if value is not None:
        await value
