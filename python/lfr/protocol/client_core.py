"""Sans-IO client state shared by the blocking and the trio client: request ids, frame
decoding, reply matching, event sequencing and subscription generations.

A generation counts the subscriptions of a topic on this connection. Events are stamped with the
generation they arrived in; events of a topic that arrive between a new `subscribe` and its
reply belong to the replaced subscription and are dropped, and consumers skip stamped events
of older generations. That is what lets a client resubscribe with `since_seq` after `lagged`
without seeing an event twice or out of order.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lfr.errors import LfrError, StateError
from lfr.protocol.codec import FrameDecoder, Limits, encode_frame


class ClientError(LfrError):
    """The base of every error the client raises."""


class ServerError(ClientError):
    """The server answered with an error; `code` is the stable ErrorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class ConnectionLost(ClientError, StateError):
    """The connection closed or failed; reconnect (with since_seq to resume alerts). `code`
    is the server's reason when it said one (e.g. `too_slow`, `auth_failed`)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def _closed_by_server(error: Any) -> ConnectionLost:
    error = error if isinstance(error, dict) else {}
    code, text = str(error.get("code", "unknown")), str(error.get("message", ""))
    return ConnectionLost(f"server closed the connection: {code}: {text}", code)


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    seq: int
    data: dict[str, Any]
    generation: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Lagged:
    """The server dropped `missed` events of `topic` after `last_seq` (this client was slow)."""

    topic: str
    missed: int
    last_seq: int | None
    generation: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to connect: a Unix socket path, or TCP host/port with its token."""

    unix: Path | None = None
    tcp: tuple[str, int] | None = None
    token: str | None = None

    def __post_init__(self) -> None:
        if (self.unix is None) == (self.tcp is None):
            raise ValueError("give exactly one of a unix socket path or a tcp address")
        if self.tcp is not None and not self.token:
            raise ValueError("tcp needs a token")


class ClientCore:
    def __init__(self, limits: Limits | None = None) -> None:
        self._decoder = FrameDecoder(limits or Limits(max_depth=32, max_map_len=1 << 16))
        self._ids = itertools.count(1)
        self.replies: dict[int, dict[str, Any]] = {}
        self.events: deque[Event | Lagged] = deque()
        self._last_seq: dict[str, int] = {}
        self._generation: dict[str, int] = {}
        self._pending_sub: dict[str, int] = {}  # topic -> id of the subscribe in flight
        self.fatal: ConnectionLost | None = None
        self._outstanding: set[int] = set()

    def replies_awaited(self) -> bool:
        """True while a request has no reply yet (the reader must keep reading)."""
        return bool(self._outstanding - self.replies.keys())

    def request(self, kind: str, fields: dict[str, Any]) -> tuple[int, bytes]:
        request_id = next(self._ids)
        self._outstanding.add(request_id)
        if kind == "subscribe":
            for topic in fields.get("topics", ()):
                self._pending_sub[topic] = request_id
        payload = {"type": kind, "id": request_id}
        payload.update({k: v for k, v in fields.items() if v is not None})
        return request_id, encode_frame(payload)

    def feed(self, data: bytes | bytearray) -> None:
        for message in self._decoder.feed(data):
            self._route(message)

    @property
    def truncated(self) -> bool:
        return self._decoder.pending > 0

    def current(self, item: Event | Lagged) -> bool:
        """False for items of a subscription that has since been replaced."""
        return item.generation == self._generation.get(item.topic, 0)

    def result(self, request_id: int) -> Any:
        reply = self.replies.pop(request_id)
        self._outstanding.discard(request_id)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise ServerError(str(error.get("code", "unknown")), str(error.get("message", "")))
        return reply.get("result")

    def _route(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "reply":
            request_id = msg.get("id")
            if isinstance(request_id, int):
                self._on_reply(request_id, msg)
            elif not msg.get("ok"):  # an error the server could not tie to a request
                self.fatal = _closed_by_server(msg.get("error"))
        elif kind == "event":
            topic, seq = msg.get("topic"), msg.get("seq")
            if not isinstance(topic, str) or not isinstance(seq, int):
                raise ConnectionLost(f"malformed event from server: {msg!r:.200}")
            if topic in self._pending_sub:
                return  # from the subscription being replaced
            if seq <= self._last_seq.get(topic, -1):
                raise ConnectionLost(f"server sent {topic} seq {seq} after {self._last_seq[topic]}")
            self._last_seq[topic] = seq
            data = msg.get("data")
            self.events.append(
                Event(
                    topic,
                    seq,
                    data if isinstance(data, dict) else {},
                    self._generation.get(topic, 0),
                )
            )
        elif kind == "lagged":
            topic = str(msg.get("topic"))
            if topic in self._pending_sub:
                return
            missed, last = msg.get("missed"), msg.get("last_seq")
            self.events.append(
                Lagged(
                    topic,
                    int(missed) if isinstance(missed, int) else 0,
                    last if isinstance(last, int) else None,
                    self._generation.get(topic, 0),
                )
            )
        elif kind == "error":
            self.fatal = _closed_by_server(msg.get("error"))

    def _on_reply(self, request_id: int, msg: dict[str, Any]) -> None:
        for topic, pending in list(self._pending_sub.items()):
            if pending == request_id:
                del self._pending_sub[topic]
                if msg.get("ok"):
                    self._generation[topic] = self._generation.get(topic, 0) + 1
                    self._last_seq.pop(topic, None)
        self.replies[request_id] = msg
