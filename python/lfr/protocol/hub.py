"""EventHub: fan-out of events to socket subscribers without ever waiting for one.

`publish()` is synchronous and O(subscribers): it encodes the event frame once, then offers the
shared bytes to every subscriber's bounded queue. A full queue does not block: the subscriber
enters a lagged episode, further events are counted as missed (not queued) until its pump takes
the backlog, and the pump then tells the client how many it missed. So the pipeline's cost per
alert does not depend on how slowly anyone reads.

Sequence numbers: on `alerts` the seq is the store's alert seq (persisted first, so a replay
from the store can fill any gap); on other topics the hub assigns them, starting from the
wall clock in microseconds so they keep increasing across daemon restarts.

Call `publish()` from the trio thread (it wakes trio tasks).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import trio

from lfr.protocol.codec import DEFAULT_MAX_FRAME, encode_frame
from lfr.protocol.messages import TOPICS, event

log = logging.getLogger(__name__)


class AlertOrderError(ValueError):
    """An alert was published with a seq not above the previous one. Live subscribers skip
    seqs they have passed, so this would hide the alert from them: persist-and-publish must be
    serialised (one lock around `store.alerts.record` + `publish`) so publish order = seq
    order."""


class AlertLike(Protocol):
    @property
    def seq(self) -> int: ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Backlog:
    """What a pump takes at once: queued (seq, frame) pairs, then how many were dropped after
    them (and the seq of the first dropped one)."""

    items: list[tuple[int, bytes]]
    missed: int
    first_missed_seq: int | None


class Subscriber:
    """One connection's subscription to one topic: a bounded queue filled by the hub."""

    def __init__(self, hub: EventHub, topic: str, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("queue capacity must be at least 1")
        self.topic = topic
        self.capacity = capacity
        self.closed = False
        self.lag_episodes = 0
        self.missed_total = 0
        self._hub = hub
        self._items: deque[tuple[int, bytes]] = deque()
        self._missed = 0
        self._first_missed: int | None = None
        self._wakeup = trio.Event()

    @property
    def depth(self) -> int:
        return len(self._items)

    def offer(self, seq: int, frame: bytes) -> None:
        """Called by the hub; never blocks. Once an episode of lag starts, drop until taken."""
        if self.closed:
            return
        if self._missed or len(self._items) >= self.capacity:
            if not self._missed:
                self.lag_episodes += 1
                self._hub.lag_episodes += 1
                self._first_missed = seq
            self._missed += 1
            self.missed_total += 1
        else:
            self._items.append((seq, frame))
        self._wakeup.set()

    async def take(self) -> Backlog:
        """Wait until there is something (or the subscription closes), then take it all."""
        while not self._items and not self._missed and not self.closed:
            await self._wakeup.wait()
            self._wakeup = trio.Event()
        backlog = Backlog(list(self._items), self._missed, self._first_missed)
        self._items.clear()
        self._missed, self._first_missed = 0, None
        return backlog

    def discard_backlog_if_overflowed(self) -> bool:
        """After an overflow, drop everything queued and return True (the caller re-reads the
        store, which holds all of it); otherwise keep the queue and return False."""
        if not self._missed:
            return False
        self._items.clear()
        self._missed, self._first_missed = 0, None
        return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._hub._remove(self)
            self._wakeup.set()


class EventHub:
    """Per-topic subscriber sets and sequence numbers. One per daemon run."""

    def __init__(
        self, *, max_frame_bytes: int = DEFAULT_MAX_FRAME, topics: tuple[str, ...] = TOPICS
    ) -> None:
        self._max_frame = max_frame_bytes
        self._subs: dict[str, dict[int, Subscriber]] = {t: {} for t in topics}
        start = time.time_ns() // 1000
        self._last: dict[str, int | None] = {t: (None if t == "alerts" else start) for t in topics}
        self.published: dict[str, int] = {t: 0 for t in topics}
        self.out_of_order = 0
        self.lag_episodes = 0  # subscribers that fell behind, over the hub's life

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(self._subs)

    def last_seq(self, topic: str) -> int | None:
        """The last seq published on `topic` by this hub (None: no alert yet this run)."""
        return self._last[self._check(topic)]

    def publish(self, topic: str, payload: Mapping[str, Any], *, seq: int | None = None) -> int:
        """Offer one event to every subscriber of `topic`; return its seq.

        For `alerts`, pass the store's seq (or have it in `payload["seq"]`) and only after the
        alert is committed. A seq that does not increase is refused with ValueError: it would
        break the exactly-once guarantee."""
        self._check(topic)
        last = self._last[topic]
        if topic == "alerts":
            if seq is None:
                seq = payload.get("seq")
            if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
                raise ValueError("an alert needs its store seq (a positive integer)")
            if not isinstance(payload.get("alert_id"), str):
                raise ValueError("an alert payload needs a string `alert_id`")
            if payload.get("seq", seq) != seq:
                raise ValueError(f"payload seq {payload.get('seq')!r} is not {seq}")
            if last is not None and seq <= last:
                self.out_of_order += 1
                raise AlertOrderError(
                    f"alert seq {seq} does not follow {last}; publish alerts in store order"
                )
        elif seq is not None:
            raise ValueError(f"topic {topic!r} numbers its own events")
        else:
            seq = (last or 0) + 1
        frame = encode_frame(event(topic, seq, dict(payload)), self._max_frame)
        self._last[topic] = seq
        self.published[topic] += 1
        for sub in tuple(self._subs[topic].values()):
            sub.offer(seq, frame)
        return seq

    def publish_alert(self, alert: AlertLike) -> int:
        """Convenience for the alert dispatcher: `publish("alerts", alert.to_json(), seq=...)`."""
        return self.publish("alerts", alert.to_json(), seq=int(alert.seq))

    def subscribe(self, topic: str, capacity: int) -> Subscriber:
        """Register a live subscriber. It receives every event published from now on."""
        sub = Subscriber(self, self._check(topic), capacity)
        self._subs[topic][id(sub)] = sub
        return sub

    def subscriber_count(self, topic: str) -> int:
        return len(self._subs[self._check(topic)])

    def subscribers(self, topic: str) -> tuple[Subscriber, ...]:
        """The live subscriptions of `topic` (queue depth, missed and lag counts)."""
        return tuple(self._subs[self._check(topic)].values())

    def _remove(self, sub: Subscriber) -> None:
        self._subs[sub.topic].pop(id(sub), None)

    def _check(self, topic: str) -> str:
        if topic not in self._subs:
            raise ValueError(f"unknown topic {topic!r}; topics: {', '.join(self._subs)}")
        return topic
