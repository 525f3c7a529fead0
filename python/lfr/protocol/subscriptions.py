"""A connection's subscriptions: one pump task per topic, from the hub's mailbox to the socket.

For `alerts` with `since_seq`, the pump first replays persisted alerts from the store, then
forwards live ones, skipping any seq already sent: the live subscription is registered before
the replay starts, so nothing published meanwhile is missed. A mailbox that overflowed during
the replay is discarded and the store read again (it holds everything that was dropped). A
lag after that is reported to the client (`lagged`), and a client that keeps lagging is
disconnected.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import trio

from lfr.config.sockets import SocketConfig
from lfr.protocol import messages as m
from lfr.protocol.api import DaemonApi
from lfr.protocol.codec import encode_frame
from lfr.protocol.hub import EventHub, Subscriber

REPLAY_BATCH = 256
MAX_REPLAY_PASSES = 8


@dataclass
class Pump:
    sub: Subscriber
    done: trio.Event = field(default_factory=trio.Event)
    delivered_seq: int | None = None
    acked_seq: int | None = None
    started: bool = False
    lag_times: deque[float] = field(default_factory=deque)


class Subscriptions:
    """The topics one connection follows. `send` writes whole frames to the client (it raises
    `Disconnect` when the client stops reading)."""

    def __init__(
        self,
        hub: EventHub,
        api: DaemonApi,
        config: SocketConfig,
        send: Callable[[bytes], Awaitable[None]],
    ) -> None:
        self.hub = hub
        self.pumps: dict[str, Pump] = {}
        self._api = api
        self._config = config
        self._send = send
        self._nursery: trio.Nursery | None = None

    def bind(self, nursery: trio.Nursery) -> None:
        """Where pump tasks run: the connection's nursery, so they end with it."""
        self._nursery = nursery

    def open(self, topic: str) -> Pump:
        """Register a live subscription now (its task starts with `start`)."""
        pump = Pump(self.hub.subscribe(topic, self._config.queue_size))
        self.pumps[topic] = pump
        return pump

    def start(self, topic: str, pump: Pump, since_seq: int | None) -> None:
        assert self._nursery is not None, "bind() before start()"
        pump.started = True
        self._nursery.start_soon(self._pump, topic, pump, since_seq)

    async def stop(self, topic: str) -> None:
        pump = self.pumps.pop(topic, None)
        if pump is not None:
            pump.sub.close()
            if pump.started:
                await pump.done.wait()

    def close_all(self) -> None:
        for pump in self.pumps.values():
            pump.sub.close()

    def describe(self) -> dict[str, Any]:
        """Per topic: how this subscriber keeps up (for `status`)."""
        return {
            topic: {
                "queued": p.sub.depth,
                "capacity": p.sub.capacity,
                "missed": p.sub.missed_total,
                "lagged": p.sub.lag_episodes,
                "delivered_seq": p.delivered_seq,
                "acked_seq": p.acked_seq,
            }
            for topic, p in self.pumps.items()
        }

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
                    await self._send(b"".join(frames))
                if backlog.missed:
                    await self._send(encode_frame(m.lagged(topic, backlog.missed, last)))
                    self._note_lag(pump)
        finally:
            pump.done.set()

    def _note_lag(self, pump: Pump) -> None:
        now = time.monotonic()
        window = self._config.lag_window_s
        pump.lag_times.append(now)
        while pump.lag_times and now - pump.lag_times[0] > window:
            pump.lag_times.popleft()
        if len(pump.lag_times) > self._config.max_lag_episodes:
            raise m.Disconnect(
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
                batch = await self._api.alerts_since(last, REPLAY_BATCH)
                frames = []
                for alert in batch:
                    seq = alert.get("seq")
                    if not isinstance(seq, int) or seq <= last:
                        raise RuntimeError(f"alerts_since({last}) returned seq {seq!r}")
                    frames.append(encode_frame(m.event("alerts", seq, dict(alert))))
                    last = seq
                if frames:
                    pump.delivered_seq = last
                    await self._send(b"".join(frames))
                if len(batch) < REPLAY_BATCH:
                    break
            if not pump.sub.discard_backlog_if_overflowed():
                return last
        raise m.Disconnect(m.ErrorCode.TOO_SLOW, "alerts arrive faster than the replay")
