"""`serve_socket`: the integrator socket as one trio service the daemon starts.

    hub = EventHub(max_frame_bytes=settings.limits.max_frame_bytes)
    endpoints = await nursery.start(serve_socket, api, hub, settings)
    print(f"socket: {endpoints.unix_path}")

It returns (via `task_status.started`) once every listener accepts connections, and removes its
Unix socket file when cancelled. TCP is opt-in, loopback unless `allow_remote`, and always needs
the token; the token is read once at start so a missing or world-readable file fails the start
rather than the first client.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

import lfr
from lfr.errors import ConfigError
from lfr.protocol import messages as m
from lfr.protocol.api import DaemonApi
from lfr.protocol.codec import DEFAULT_MAX_FRAME, Limits, encode_frame
from lfr.protocol.connection import Connection
from lfr.protocol.hub import EventHub
from lfr.protocol.listeners import (
    open_unix_listener,
    parse_tcp,
    read_token,
    remove_unix_socket,
)

log = logging.getLogger(__name__)
DEFAULT_SOCKET_NAME = "lfr.sock"


@dataclass(frozen=True, slots=True)
class SocketSettings:
    """How the socket listens and how much it tolerates from each client."""

    unix_path: Path | None
    tcp: str | None = None  # "HOST:PORT"; loopback unless allow_remote
    token_file: Path | None = None  # required with tcp
    allow_remote: bool = False
    limits: Limits = field(default_factory=Limits)
    queue_size: int = 1024  # events queued per subscription before `lagged`
    send_timeout_s: float = 10.0  # a write blocked this long disconnects the client
    handshake_timeout_s: float = 10.0
    max_lag_episodes: int = 3  # more lagged episodes than this in lag_window_s: drop
    lag_window_s: float = 60.0
    max_clients: int = 256

    def __post_init__(self) -> None:
        if self.unix_path is None and self.tcp is None:
            raise ConfigError("socket: neither socket.unix nor socket.tcp is set")
        if self.tcp is not None and self.token_file is None:
            raise ConfigError("socket.token_file: required when socket.tcp is set")
        if self.queue_size < 1 or self.max_clients < 1:
            raise ConfigError("socket: queue_size and max_clients must be positive")

    @classmethod
    def from_config(cls, socket_cfg: Any, data_dir: Path, **overrides: Any) -> SocketSettings:
        """From `Config.socket` (unix, tcp, token_file, max_frame_bytes). A relative unix path
        or token file is relative to the data dir."""
        unix = getattr(socket_cfg, "unix", None) or DEFAULT_SOCKET_NAME
        token = getattr(socket_cfg, "token_file", None)
        max_frame = getattr(socket_cfg, "max_frame_bytes", None) or DEFAULT_MAX_FRAME
        return cls(
            unix_path=data_dir / unix,
            tcp=getattr(socket_cfg, "tcp", None),
            token_file=data_dir / token if token else None,
            allow_remote=bool(getattr(socket_cfg, "allow_remote", False)),
            limits=Limits(max_frame_bytes=int(max_frame)),
            **overrides,
        )


@dataclass(frozen=True, slots=True)
class SocketEndpoints:
    unix_path: Path | None
    tcp: tuple[str, int] | None  # the bound address (port resolved when 0 was asked)


class ServerContext:
    """What connections share: the api, the hub, settings, and the live connection set."""

    def __init__(self, api: DaemonApi, hub: EventHub, settings: SocketSettings) -> None:
        self.api = api
        self.hub = hub
        self.settings = settings
        self.connections: set[Connection] = set()
        self.endpoints = SocketEndpoints(None, None)
        self.refused = 0

    def hello_result(self, *, authenticated: bool) -> dict[str, Any]:
        return {
            "protocol": m.PROTOCOL_VERSION,
            "server": "lfr",
            "server_version": lfr.__version__,
            "capabilities": list(m.CAPABILITIES),
            "topics": list(self.hub.topics),
            "limits": self.settings.limits.as_wire(),
            "queue_size": self.settings.queue_size,
            "authenticated": authenticated,
        }

    def describe(self) -> dict[str, Any]:
        """The `socket` section of `status`: where we listen and how each subscriber keeps up."""
        ep = self.endpoints
        clients = []
        for conn in self.connections:
            clients.append(
                {
                    "peer": conn.peer,
                    "client": conn.client_name,
                    "topics": {
                        topic: {
                            "queued": p.sub.depth,
                            "capacity": p.sub.capacity,
                            "missed": p.sub.missed_total,
                            "lagged": p.sub.lag_episodes,
                            "delivered_seq": p.delivered_seq,
                            "acked_seq": p.acked_seq,
                        }
                        for topic, p in conn.pumps.items()
                    },
                }
            )
        return {
            "unix": str(ep.unix_path) if ep.unix_path else None,
            "tcp": f"{ep.tcp[0]}:{ep.tcp[1]}" if ep.tcp else None,
            "clients": clients,
            "refused": self.refused,
            "published": dict(self.hub.published),
        }

    async def handle(self, stream: trio.abc.Stream, *, peer_kind: str, token: bytes | None) -> None:
        if len(self.connections) >= self.settings.max_clients:
            self.refused += 1
            with trio.move_on_after(1.0):
                with contextlib.suppress(
                    trio.BrokenResourceError, trio.ClosedResourceError, OSError
                ):
                    await stream.send_all(
                        encode_frame(
                            m.error_notice(m.ErrorCode.TOO_MANY_CLIENTS, "too many clients")
                        )
                    )
            await trio.aclose_forcefully(stream)
            return
        conn = Connection(self, stream, _peer_name(stream, peer_kind), token)
        self.connections.add(conn)
        try:
            await conn.run()
        finally:
            self.connections.discard(conn)


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
    settings: SocketSettings,
    *,
    context: ServerContext | None = None,
    task_status: trio.TaskStatus[SocketEndpoints] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until cancelled; `task_status.started(SocketEndpoints)` once listening.
    `context`: the connection set to serve into (its owner reads the connections)."""
    ctx = context if context is not None else ServerContext(api, hub, settings)
    token = read_token(settings.token_file) if settings.tcp and settings.token_file else None
    tcp_address = (
        parse_tcp(settings.tcp, allow_remote=settings.allow_remote) if settings.tcp else None
    )
    unix_listener, unix_inode, unix_path = None, None, None
    if settings.unix_path is not None:
        unix_path = Path(settings.unix_path).absolute()  # noqa: ASYNC240 - no disk access
        unix_listener, unix_inode = await open_unix_listener(unix_path)
    try:
        tcp_listeners = []
        if tcp_address is not None:
            tcp_listeners = await trio.open_tcp_listeners(tcp_address[1], host=tcp_address[0])
        async with trio.open_nursery() as nursery:
            tcp = None
            if unix_listener is not None:
                handler = functools.partial(ctx.handle, peer_kind="unix", token=None)
                await nursery.start(trio.serve_listeners, handler, [unix_listener])
            if tcp_listeners:
                host, port = tcp_listeners[0].socket.getsockname()[:2]
                tcp = (host, port)
                handler = functools.partial(ctx.handle, peer_kind="tcp", token=token)
                await nursery.start(trio.serve_listeners, handler, tcp_listeners)
            ctx.endpoints = SocketEndpoints(unix_path, tcp)
            log.info("socket listening: unix=%s tcp=%s", unix_path, tcp)
            task_status.started(ctx.endpoints)
    finally:
        if unix_listener is not None and unix_inode is not None and unix_path is not None:
            remove_unix_socket(unix_path, unix_inode)
            await trio.aclose_forcefully(unix_listener)
