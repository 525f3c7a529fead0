"""EventHub: fan-out of events to socket subscribers without ever waiting for one.

`publish()` is synchronous and O(subscribers): it encodes the event frame once, then offers the
shared bytes to every subscriber's mailbox (`MailboxPolicy.MARK_LAGGED`). A full mailbox does
not block: the subscriber enters a lag episode, further events are counted as missed (not
queued) until its pump takes the backlog, and the pump then tells the client how many it
missed. So the pipeline's cost per alert does not depend on how slowly anyone reads.

Sequence numbers: on `alerts` the seq is the store's alert seq (persisted first, so a replay
from the store can fill any gap; `AlertFeed` publishes every stored alert in seq order, also
those other processes wrote); on other topics the hub assigns them, starting from the
wall clock in microseconds so they keep increasing across daemon restarts.

Call `publish()` from the trio thread (it wakes trio tasks).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from lfr.kernel.mailbox import Drained, Mailbox, MailboxPolicy
from lfr.protocol.codec import DEFAULT_MAX_FRAME, encode_frame
from lfr.protocol.messages import TOPICS, event

log = logging.getLogger(__name__)


class AlertOrderError(ValueError):
    """An alert was published with a seq not above the previous one. Live subscribers skip
    seqs they have passed, so this would hide the alert from them: alerts reach the hub through
    `lfr.protocol.feed.AlertFeed`, which puts them in seq order."""


class Subscriber:
    """One connection's subscription to one topic: a MARK_LAGGED mailbox the hub fills.

    When the mailbox is full the subscriber enters a lag episode: later events are counted,
    not queued, until its pump drains the mailbox and tells the client how many it missed
    (and, for alerts, re-reads them from the store). So nobody upstream ever waits for it."""

    def __init__(self, hub: EventHub, topic: str, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("queue capacity must be at least 1")
        self.topic = topic
        self.mailbox: Mailbox[tuple[int, bytes]] = Mailbox(
            capacity, MailboxPolicy.MARK_LAGGED, name=f"subscriber.{topic}"
        )
        self._hub = hub

    @property
    def capacity(self) -> int:
        return self.mailbox.capacity

    @property
    def depth(self) -> int:
        return self.mailbox.depth

    @property
    def closed(self) -> bool:
        return self.mailbox.closed

    @property
    def lag_episodes(self) -> int:
        return self.mailbox.lag_episodes

    @property
    def missed_total(self) -> int:
        return self.mailbox.dropped

    def offer(self, seq: int, frame: bytes) -> None:
        """Called by the hub; never blocks."""
        if not self.closed:
            episodes = self.mailbox.lag_episodes
            self.mailbox.put_nowait((seq, frame))
            self._hub.lag_episodes += self.mailbox.lag_episodes - episodes

    async def take(self) -> Drained[tuple[int, bytes]]:
        """Wait until there is something (or the subscription closes), then take it all:
        queued (seq, frame) pairs, then how many were missed after them."""
        return await self.mailbox.drain()

    def discard_backlog_if_overflowed(self) -> bool:
        """After an overflow, drop everything queued and return True (the caller re-reads the
        store, which holds all of it); otherwise keep the queue and return False."""
        return self.mailbox.discard_if_lagged()

    def close(self) -> None:
        if not self.closed:
            self.mailbox.close()
            self._hub._remove(self)


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
