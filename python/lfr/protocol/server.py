"""`serve_socket`: the integrator socket as one trio service the daemon starts.

    hub = EventHub(max_frame_bytes=config.socket.max_frame_bytes)
    endpoints = await nursery.start(serve_socket, api, hub, config.socket, data_dir)
    print(f"socket: {endpoints.unix_path}")

It returns (via `task_status.started`) once every listener accepts connections, and removes its
Unix socket file when cancelled. Settings are `lfr.config.SocketConfig` (`[socket]`). TCP is
opt-in, loopback unless `allow_remote`, and always needs a token; tokens are read once at start
so a missing or world-readable file fails the start rather than the first client.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

import lfr
from lfr.config.sockets import SocketConfig
from lfr.protocol import messages as m
from lfr.protocol.admission import Admission
from lfr.protocol.api import DaemonApi
from lfr.protocol.auth import FailedAuthLog, TokenBook
from lfr.protocol.codec import Limits, encode_frame
from lfr.protocol.connection import Connection
from lfr.protocol.feed import AlertFeed
from lfr.protocol.hub import EventHub
from lfr.protocol.listeners import open_unix_listener, remove_unix_socket

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SocketEndpoints:
    unix_path: Path | None
    tcp: tuple[str, int] | None  # the bound address (port resolved when 0 was asked)


class ServerContext:
    """What connections share: the api, the hub, settings, tokens and the connection slots."""

    def __init__(
        self, api: DaemonApi, hub: EventHub, config: SocketConfig, tokens: TokenBook
    ) -> None:
        self.api = api
        self.hub = hub
        self.config = config
        self.tokens = tokens
        self.limits = Limits(max_frame_bytes=config.max_frame_bytes)
        small = config.preauth_frame_bytes
        self.preauth_limits = Limits(  # room for `auth` (and a pipelined `hello`), no more
            max_frame_bytes=small,
            max_str_len=small,
            max_bin_len=small,
            max_array_len=16,
            max_map_len=16,
            max_depth=4,
            max_objects=64,
        )
        self.admission = Admission(
            max_clients=config.max_clients,
            unix_reserved=config.unix_reserved,
            max_unauthenticated=config.max_unauthenticated,
        )
        self.failed_auth = FailedAuthLog()
        self.connections: set[Connection] = set()
        self.endpoints = SocketEndpoints(None, None)

    def hello_result(self, *, authenticated: bool) -> dict[str, Any]:
        return {
            "protocol": m.PROTOCOL_VERSION,
            "server": "lfr",
            "server_version": lfr.__version__,
            "capabilities": list(m.CAPABILITIES),
            "topics": list(self.hub.topics),
            "limits": self.limits.as_wire(),
            "queue_size": self.config.queue_size,
            "authenticated": authenticated,
        }

    def describe(self) -> dict[str, Any]:
        """The `socket` section of `status`: where we listen and how each subscriber keeps up."""
        ep = self.endpoints
        clients = [
            {
                "peer": conn.peer,
                "client": conn.client_name,
                "actor": conn.actor,
                "topics": conn.subscriptions.describe(),
            }
            for conn in self.connections
        ]
        return {
            "unix": str(ep.unix_path) if ep.unix_path else None,
            "tcp": f"{ep.tcp[0]}:{ep.tcp[1]}" if ep.tcp else None,
            "clients": clients,
            "refused": self.admission.refused,
            "evicted": self.admission.evicted,
            "unauthenticated": self.admission.unauthenticated,
            "failed_auth": self.failed_auth.total,
            "published": dict(self.hub.published),
        }

    async def handle(self, stream: trio.abc.Stream, *, peer_kind: str) -> None:
        conn = Connection(self, stream, _peer_name(stream, peer_kind), peer_kind)
        admitted = (
            self.admission.admit_unix(conn)
            if peer_kind == "unix"
            else self.admission.admit_tcp(conn)
        )
        if not admitted:
            await _refuse(stream)
            return
        self.connections.add(conn)
        try:
            await conn.run()
        finally:
            self.connections.discard(conn)
            self.admission.release(conn)


async def _refuse(stream: trio.abc.Stream) -> None:
    with trio.move_on_after(1.0):
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            await stream.send_all(
                encode_frame(m.error_notice(m.ErrorCode.TOO_MANY_CLIENTS, "too many clients"))
            )
    await trio.aclose_forcefully(stream)


def _peer_name(stream: trio.abc.Stream, kind: str) -> str:
    sock = getattr(stream, "socket", None)
    try:
        addr = sock.getpeername() if sock is not None else None
    except OSError:
        addr = None
    if isinstance(addr, tuple):
        return f"tcp:{addr[0]}:{addr[1]}"
    return f"{kind}:{id(stream):x}"


async def serve_socket(
    api: DaemonApi,
    hub: EventHub,
    config: SocketConfig,
    data_dir: Path,
    *,
    alerts: AlertFeed | None = None,
    connections: set[Connection] | None = None,
    task_status: trio.TaskStatus[SocketEndpoints] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until cancelled; `task_status.started(SocketEndpoints)` once listening. Relative
    paths in `config` are relative to `data_dir`. `alerts`: the feed the daemon offers its
    alerts to; it runs here, reading what other processes stored through `api`.
    `connections`: the set the open connections are kept in (its owner counts them)."""
    config = config.validated()
    tcp_address = config.tcp_address()
    tokens = (
        TokenBook.load(config.token_path(data_dir), config.tokens_path(data_dir))
        if tcp_address is not None
        else TokenBook({})
    )
    ctx = ServerContext(api, hub, config, tokens)
    if connections is not None:
        ctx.connections = connections
    unix_path = config.unix_path(data_dir).absolute()
    unix_listener, unix_inode = await open_unix_listener(unix_path)
    try:
        tcp_listeners = []
        if tcp_address is not None:
            tcp_listeners = await trio.open_tcp_listeners(tcp_address[1], host=tcp_address[0])
        async with trio.open_nursery() as nursery:
            if alerts is not None:
                await nursery.start(alerts.run, api.alerts_since)
            tcp = None
            handler = functools.partial(ctx.handle, peer_kind="unix")
            await nursery.start(trio.serve_listeners, handler, [unix_listener])
            if tcp_listeners:
                host, port = tcp_listeners[0].socket.getsockname()[:2]
                tcp = (host, port)
                handler = functools.partial(ctx.handle, peer_kind="tcp")
                await nursery.start(trio.serve_listeners, handler, tcp_listeners)
            ctx.endpoints = SocketEndpoints(unix_path, tcp)
            log.info(
                "socket listening: unix=%s tcp=%s tokens=%s",
                unix_path,
                tcp,
                ", ".join(tokens.names) or "-",
            )
            task_status.started(ctx.endpoints)
    finally:
        remove_unix_socket(unix_path, unix_inode)
        await trio.aclose_forcefully(unix_listener)
