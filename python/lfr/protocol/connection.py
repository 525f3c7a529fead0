"""One client connection: auth (TCP), hello, then requests; subscriptions pump events.

The reader task handles requests one at a time, in order. All writes go through one lock and a
send deadline: a client that stops reading is disconnected after `send_timeout_s`, and
meanwhile the hub keeps dropping (and counting) its events, so nobody upstream waits.

Before a TCP client has authenticated it is a stranger: its frames are limited to
`preauth_frame_bytes`, it has `auth_timeout_s` to present a token, a wrong token is answered
only after `auth_failure_delay_s` (and logged with the peer), and it may be evicted to make
room for another (see `admission`). Who the client is (`actor`) comes from the connection
itself: the Unix peer's OS user, or the name of the token it presented.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import trio

from lfr.protocol import messages as m
from lfr.protocol.api import DaemonApi
from lfr.protocol.auth import unix_peer_user
from lfr.protocol.codec import FrameDecoder, FrameError, encode_frame
from lfr.protocol.listeners import is_peer_gone
from lfr.protocol.requests import RequestHandlers, error_for
from lfr.protocol.subscriptions import Subscriptions

if TYPE_CHECKING:
    from lfr.protocol.server import ServerContext

log = logging.getLogger(__name__)


class Connection:
    def __init__(self, ctx: ServerContext, stream: trio.abc.Stream, peer: str, kind: str) -> None:
        self.ctx = ctx
        self.peer = peer
        self.kind = kind  # "unix" or "tcp"
        self.client_name = ""
        self.actor = unix_peer_user(getattr(stream, "socket", None)) if kind == "unix" else ""
        self.subscriptions = Subscriptions(ctx.hub, ctx.api, ctx.config, self.send)
        self._stream = stream
        self._needs_auth = kind == "tcp"
        self._decoder = FrameDecoder(ctx.preauth_limits if self._needs_auth else ctx.limits)
        self._inbox: deque[dict[str, Any]] = deque()
        self._send_lock = trio.Lock()
        self._broken = False
        self._scope = trio.CancelScope()
        self._handlers = RequestHandlers(self)

    # ---- what request handlers see (`requests.Session`) ---------------------------------
    @property
    def api(self) -> DaemonApi:
        return self.ctx.api

    def socket_status(self) -> dict[str, Any]:
        return self.ctx.describe()

    # ---- lifecycle --------------------------------------------------------------------------
    def evict(self) -> None:
        """Close now, without a word: a stranger that has not authenticated."""
        self._scope.cancel()

    async def run(self) -> None:
        try:
            with self._scope:
                async with trio.open_nursery() as nursery:
                    self.subscriptions.bind(nursery)
                    await self._handshake()
                    await self._serve()
                    nursery.cancel_scope.cancel()
        except* (m.Disconnect, FrameError) as group:
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
            self.subscriptions.close_all()
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
            with trio.move_on_after(self.ctx.config.send_timeout_s) as scope:
                try:
                    await self._stream.send_all(data)
                except BaseException:
                    self._broken = True
                    raise
            if scope.cancelled_caught:
                self._broken = True  # a frame may be half written: the stream is unusable
                raise m.Disconnect(m.ErrorCode.TOO_SLOW, "client stopped reading")

    async def send_message(self, message: dict[str, Any]) -> None:
        await self.send(encode_frame(message, self.ctx.limits.max_frame_bytes))

    async def receive(self) -> dict[str, Any] | None:
        """Next decoded message, None at a clean end of stream. Reads at most one frame's
        worth under the current limits, so a stranger cannot make us buffer more."""
        while not self._inbox:
            limit = self._decoder.limits.max_frame_bytes + 4
            data = await self._stream.receive_some(min(self._decoder.wanted(), limit))
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
            with trio.move_on_after(self.ctx.config.handshake_timeout_s) as scope:
                if self._needs_auth:
                    await self._authenticate()
                await self._hello()
        except m.ProtocolError as exc:
            await self._refuse(exc)
            raise m.Disconnect(None, str(exc)) from None
        if scope.cancelled_caught:
            raise m.Disconnect(
                m.ErrorCode.TIMEOUT,
                f"no handshake within {self.ctx.config.handshake_timeout_s:g}s",
            )

    async def _authenticate(self) -> None:
        config = self.ctx.config
        with trio.move_on_after(config.auth_timeout_s) as deadline:
            request = await self._expect(
                m.Auth, m.ErrorCode.AUTH_REQUIRED, "authenticate first: send `auth` with the token"
            )
        if deadline.cancelled_caught:
            self.ctx.failed_auth.failed(self.peer, "no `auth` in time")
            raise m.Disconnect(m.ErrorCode.TIMEOUT, f"no `auth` within {config.auth_timeout_s:g}s")
        assert isinstance(request, m.Auth)
        name = self.ctx.tokens.match(request.token)
        if name is None:
            self.ctx.failed_auth.failed(self.peer, "wrong token")
            await trio.sleep(config.auth_failure_delay_s)  # guessing costs time, not only CPU
            raise m.ProtocolError(m.ErrorCode.AUTH_FAILED, "wrong token", request_id=request.id)
        self.actor = name
        self._needs_auth = False
        self._decoder.limits = self.ctx.limits
        self.ctx.admission.authenticated(self)
        await self.send_message(m.reply_ok(request.id, {"authenticated": True}))

    async def _hello(self) -> None:
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
        result = self.ctx.hello_result(authenticated=self.kind == "tcp")
        await self.send_message(m.reply_ok(hello.id, {**result, "actor": self.actor}))

    async def _expect(self, kind: type[m.Request], code: str, message: str) -> m.Request:
        while True:
            raw = await self.receive()
            if raw is None:
                raise trio.BrokenResourceError("client left during the handshake")
            request = m.parse_request(raw)
            if isinstance(request, kind):
                return request
            if isinstance(request, m.Auth):  # where none is needed (any more): harmless
                await self.send_message(
                    m.reply_ok(request.id, {"authenticated": self.kind == "tcp"})
                )
                continue
            raise m.ProtocolError(code, message, request_id=request.id)

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
                    m.reply_ok(request.id, result), self.ctx.limits.max_frame_bytes
                )
            except Exception as exc:
                code, text = error_for(exc)
                if code == m.ErrorCode.INTERNAL:
                    log.exception("request %s from %s failed", request.TYPE, self.peer)
                frame = encode_frame(m.reply_error(request.id, code, text))
            await self.send(frame)
            for step in after:
                await _maybe_await(step())


async def _maybe_await(value: Awaitable[None] | None) -> None:
    if value is not None:
        await value
