"""`ConsoleFeed`: the console's one subscription to the alert hub, fanned out to its pages.

The hub encodes each event once for the socket; the console decodes it once here, renders it
once as a server-sent event, and offers the same bytes to every open page's `EventQueue`. So
20 open consoles cost the pipeline what one socket subscriber costs, and a slow browser holds
up nobody: its queue fills, it is marked lagged and its stream ends, and the browser
reconnects with the last seq it saw and is replayed the rest from the store (exactly once, in
seq order).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import trio

from lfr.protocol.codec import HEADER, Limits, decode_body

if TYPE_CHECKING:
    from lfr.protocol.hub import EventHub

log = logging.getLogger(__name__)
TOPICS = ("alerts", "verdicts")
HUB_QUEUE = 4096  # the feed's own hub subscription: it only decodes, so it rarely backs up
PAGE_QUEUE = 1024  # per open page; beyond it the page re-reads from the store
MIN_GAP_S = 0.25  # between two writes to one page: a burst becomes one write


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    seq: int  # the alert's seq (also for a verdict: the alert it judges)
    data: bytes  # the whole server-sent event, ready to write


def sse(kind: str, payload: Any, *, event_id: int | None = None) -> bytes:
    """One server-sent event. Only alerts carry an `id`, so the browser's Last-Event-ID is
    always the last alert seq it received, which is what a resume needs."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(payload, separators=(",", ":"))
    return f"{head}event: {kind}\ndata: {body}\n\n".encode()


def alert_event(topic: str, alert: dict[str, Any]) -> Event:
    seq = int(alert["seq"])
    if topic == "alerts":
        return Event(topic, seq, sse("alert", alert, event_id=seq))
    return Event(topic, seq, sse("verdict", alert))


class EventQueue:
    """One open page's queue: bounded, never blocking the feed."""

    def __init__(self, feed: ConsoleFeed, capacity: int = PAGE_QUEUE) -> None:
        self._feed = feed
        self._items: deque[Event] = deque()
        self._capacity = capacity
        self._wake = trio.Event()
        self.lagged = False
        self.closed = False

    def offer(self, event: Event) -> None:
        if self.closed or self.lagged:
            return
        if len(self._items) >= self._capacity:
            self.lagged = True  # the page re-reads from the store when it reconnects
            self._items.clear()
        else:
            self._items.append(event)
        self._wake.set()

    async def take(self, timeout_s: float, not_before: float = 0.0) -> list[Event]:
        """What is queued, waiting up to `timeout_s` for something (empty on time-out). Once
        something is there, it is not taken before `not_before` (trio's clock): the caller
        spaces its writes by `MIN_GAP_S`, so an alert after a quiet spell goes out at once
        while a burst of 100 alerts/s becomes a few writes a second per page."""
        if not self._items and not self.lagged and not self.closed:
            with trio.move_on_after(timeout_s):
                await self._wake.wait()
        if self._items and not self.closed:
            await trio.sleep_until(not_before)
        self._wake = trio.Event()
        items = list(self._items)
        self._items.clear()
        return items

    def close(self) -> None:
        self.closed = True
        self._feed._queues.discard(self)
        self._wake.set()


class ConsoleFeed:
    def __init__(self, hub: EventHub) -> None:
        self._hub = hub
        self._queues: set[EventQueue] = set()
        self._limits = Limits()
        self.delivered = 0
        self.hub_lagged = 0

    @property
    def pages(self) -> int:
        return len(self._queues)

    def close_all(self) -> None:
        """End every open page's stream (the console is stopping)."""
        for queue in tuple(self._queues):
            queue.close()

    def open(self, capacity: int = PAGE_QUEUE) -> EventQueue:
        queue = EventQueue(self, capacity)
        self._queues.add(queue)
        return queue

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Pump every topic until cancelled."""
        subs = [self._hub.subscribe(topic, HUB_QUEUE) for topic in TOPICS]
        try:
            async with trio.open_nursery() as nursery:
                for sub in subs:
                    nursery.start_soon(self._pump, sub)
                task_status.started()
        finally:
            for sub in subs:
                sub.close()

    async def _pump(self, sub: Any) -> None:
        while not sub.closed:
            backlog = await sub.take()
            for _seq, frame in backlog.items:
                message = decode_body(frame[HEADER.size :], self._limits)
                self._offer(alert_event(sub.topic, message["data"]))
            if backlog.missed:
                # The feed itself fell behind: every page re-reads from the store.
                self.hub_lagged += 1
                log.warning("console: %d %s events missed; pages resume", backlog.missed, sub.topic)
                for queue in tuple(self._queues):
                    queue.lagged = True
                    queue._wake.set()
                sub.discard_backlog_if_overflowed()

    def _offer(self, event: Event) -> None:
        for queue in tuple(self._queues):
            queue.offer(event)
        self.delivered += 1
