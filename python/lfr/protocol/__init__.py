"""The integrator socket: msgpack frames over a Unix socket (or token-guarded loopback TCP).

Entry points for the daemon: `EventHub` (publish events), `AlertFeed` (where the daemon offers
its alerts), `DaemonApi` (what the daemon implements) and `serve_socket` (the trio service, set
up by `lfr.config.SocketConfig`).
Wire format: docs/protocol.md.
"""

from __future__ import annotations

from lfr.protocol.api import (
    ApiError,
    ConflictError,
    DaemonApi,
    InvalidArgumentError,
    NotFoundError,
    UnavailableError,
)
from lfr.protocol.codec import FrameError, Limits
from lfr.protocol.feed import AlertFeed
from lfr.protocol.hub import EventHub
from lfr.protocol.messages import PROTOCOL_VERSION, TOPICS, ErrorCode, ProtocolError
from lfr.protocol.server import SocketEndpoints, serve_socket

__all__ = [
    "PROTOCOL_VERSION",
    "TOPICS",
    "AlertFeed",
    "ApiError",
    "ConflictError",
    "DaemonApi",
    "ErrorCode",
    "EventHub",
    "FrameError",
    "InvalidArgumentError",
    "Limits",
    "NotFoundError",
    "ProtocolError",
    "SocketEndpoints",
    "UnavailableError",
    "serve_socket",
]
