"""Helpers for the socket tests: start a real server over a real store, and a raw-frame
connection for sending hostile bytes and reading what the server answers."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import trio

from lfr.config import SocketConfig
from lfr.daemon.store_api import StoreDaemonApi
from lfr.protocol.api import Wire
from lfr.protocol.codec import FrameDecoder, Limits, encode_frame
from lfr.protocol.feed import AlertFeed
from lfr.protocol.hub import EventHub
from lfr.protocol.server import SocketEndpoints, serve_socket
from lfr.store import AlertRecord, Store

TOKEN = "s3cret-token-0123456789abcdef"


def alert_record(**fields: Any) -> AlertRecord:
    """A plausible alert to persist in a real Store; `fields` override any of it."""
    values: dict[str, Any] = {
        "camera": "cam1",
        "ts": time.time(),
        "watchlist": "wl",
        "watchlist_hash": "h" * 16,
        "identity": "person-1",
        "score": 0.8,
        "threshold": 0.4,
        "track_id": 7,
        "latency_ms": 90.0,
    }
    return AlertRecord(**{**values, **fields})


class ServedApi(StoreDaemonApi):
    """The socket tests' daemon: `StoreDaemonApi` over a real SQLite store in a temporary
    directory (alerts, verdicts, replays and watchlists are the store's, in the daemon's wire
    shape), plus what only a running daemon knows, fixed: one camera and its latencies, in the
    shape `EngineApi` reports them."""

    CAMERA: ClassVar[dict[str, Any]] = {
        "id": "cam1",
        "state": "LIVE",
        "watchlist": "wl",
        "fps_in": 25.0,
        "fps_analysed": 10.0,
        "frames": 100,
        "dropped": 3,
        "queue_depth": 0,
        "latency_ms": {"p50": 80.0, "p99": 150.0},
        "reconnects": 0,
        "last_error": None,
    }
    LATENCY: ClassVar[dict[str, Any]] = {"glass_to_alert": {"p50": 80.0, "p99": 150.0}}

    def __init__(self, store: Store, hub: EventHub) -> None:
        super().__init__(
            store, reload=self._record_reload, on_verdict=lambda a: hub.publish("verdicts", a)
        )
        self.hub = hub
        self.feed = AlertFeed(hub, start_after=store.alerts.last_seq())
        self.reloads: list[str | None] = []
        self.replay_delay = 0.0  # lets a test publish while a replay is in progress
        if not any(w.name == "wl" for w in store.watchlists.all()):
            store.watchlists.create("wl", actor="test", purpose="socket tests")

    async def _record_reload(self, name: str | None) -> Wire:
        self.reloads.append(name)
        return {"reloaded": ["wl"]}

    def emit(self, camera: str = "cam1", identity: str = "id-1", score: float = 0.7) -> dict:
        """Persist an alert in the store, then offer it to the feed (the daemon's order and
        path: in order, it is published at once)."""
        record = alert_record(
            camera=camera,
            identity=identity,
            score=score,
            watchlist_hash="h" * 64,
            threshold=0.363,
            track_id=1,
            latency_ms=12.5,
        )
        wire = self.wire(self.store.alerts.record(record))
        self.feed.offer(wire)
        return wire

    async def status(self) -> Wire:
        out = dict(await super().status())
        out.update(latency_ms=self.LATENCY, queues={"alerts": 0})
        return out

    async def cameras_list(self) -> Sequence[Wire]:
        return [dict(self.CAMERA)]

    async def alerts_since(self, seq: int, limit: int) -> Sequence[Wire]:
        if self.replay_delay:
            await trio.sleep(self.replay_delay)
        return await super().alerts_since(seq, limit)


@dataclass
class Served:
    api: ServedApi
    hub: EventHub
    config: SocketConfig
    endpoints: SocketEndpoints
    cancel: trio.CancelScope

    @property
    def unix(self) -> Path:
        assert self.endpoints.unix_path is not None
        return self.endpoints.unix_path

    @property
    def tcp(self) -> tuple[str, int]:
        assert self.endpoints.tcp is not None
        return self.endpoints.tcp


async def start_server(
    nursery: trio.Nursery,
    directory: Path,
    *,
    store: Store | None = None,
    token_file: Path | None = None,
    **overrides: Any,
) -> Served:
    """Start serve_socket in `nursery` over `store` (default: a new one in `directory`);
    `Served.cancel.cancel()` stops it (a daemon exit)."""
    hub = EventHub()
    api = ServedApi(store if store is not None else Store.open(directory / "store"), hub)
    overrides.setdefault("tcp", "127.0.0.1:0" if token_file else None)
    if token_file is not None:
        overrides.setdefault("token_file", str(token_file))
    config = SocketConfig(**overrides)
    scope = trio.CancelScope()

    async def run(task_status: trio.TaskStatus[SocketEndpoints] = trio.TASK_STATUS_IGNORED) -> None:
        with scope:
            await serve_socket(
                api, hub, config, directory, alerts=api.feed, task_status=task_status
            )

    endpoints = await nursery.start(run)
    return Served(api, hub, config, endpoints, scope)


class Raw:
    """A raw socket connection for sending arbitrary bytes and reading decoded frames."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.decoder = FrameDecoder(Limits(max_depth=64))
        self.inbox: list[dict[str, Any]] = []
        self._ids = 0

    @classmethod
    async def open(cls, served: Served, *, tcp: bool = False) -> Raw:
        if tcp:
            return cls(await trio.open_tcp_stream(*served.tcp))
        return cls(await trio.open_unix_socket(os.fspath(served.unix)))

    async def send(self, message: dict[str, Any]) -> None:
        await self.stream.send_all(encode_frame(message))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any] | None:
        """Next message, or None when the server closed the connection."""
        with trio.fail_after(timeout):
            while not self.inbox:
                try:
                    data = await self.stream.receive_some(65536)
                except trio.BrokenResourceError:
                    return None
                if not data:
                    return None
                self.inbox.extend(self.decoder.feed(data))
        return self.inbox.pop(0)

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send a request and return its reply (events arriving meanwhile stay queued)."""
        self._ids += 1
        await self.send({"type": kind, "id": self._ids, **fields})
        skipped: list[dict[str, Any]] = []
        while True:
            msg = await self.recv()
            assert msg is not None, f"connection closed awaiting the reply to {kind}"
            if msg.get("type") == "reply" and msg.get("id") == self._ids:
                self.inbox[:0] = skipped
                return msg
            skipped.append(msg)

    async def hello(self, version: int = 1) -> dict[str, Any]:
        return await self.request("hello", version=version, client="raw-test")

    async def closed(self, timeout: float = 5.0) -> bool:
        """True once the server has closed (draining anything it sent first)."""
        while True:
            msg = await self.recv(timeout)
            if msg is None:
                return True

    async def aclose(self) -> None:
        await self.stream.aclose()
