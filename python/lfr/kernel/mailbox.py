"""A bounded trio mailbox whose policy says what happens when it is full.

Frames must never back up behind a slow consumer (a camera that waits is a camera that lags),
while commands must never be lost; so the policy belongs to the mailbox, not the sender:

- BLOCK: the sender waits for room (nothing is lost; back-pressure reaches the producer).
- DROP_OLDEST: the oldest queued item is discarded to make room (a bounded recent history).
- KEEP_LATEST: a new item replaces everything queued (a live camera's newest frame).
- MARK_LAGGED: a full mailbox refuses the new item and is marked lagged; every later put is
  refused too until the reader collects the backlog with `drain()`, which says how many were
  missed after what it returns. For readers that can fetch what they missed from elsewhere
  (a socket subscriber re-reads alerts from the store): the reader gets a clean cut, an
  unbroken run of items then one gap, never items with holes between them.

Whatever is discarded is counted. All methods must be called from the trio thread; a worker
thread reaches a mailbox through `trio.from_thread.run_sync(mailbox.put_nowait, item)`.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

import trio

from lfr.errors import StateError

T = TypeVar("T")


class MailboxPolicy(enum.Enum):
    BLOCK = "block"
    DROP_OLDEST = "drop_oldest"
    KEEP_LATEST = "keep_latest"
    MARK_LAGGED = "mark_lagged"


class MailboxClosed(StateError):
    """A put into a closed mailbox. (A get on a closed, drained mailbox ends iteration.)"""


@dataclass(frozen=True, slots=True)
class Drained(Generic[T]):
    """What `drain()` takes at once: the queued items, oldest first, then how many puts were
    refused after them (MARK_LAGGED only; 0 otherwise)."""

    items: list[T]
    missed: int


class Mailbox(Generic[T]):
    def __init__(
        self,
        capacity: int = 16,
        policy: MailboxPolicy = MailboxPolicy.BLOCK,
        *,
        name: str = "mailbox",
    ) -> None:
        if capacity < 1:
            raise ValueError(f"mailbox capacity must be >= 1, got {capacity}")
        self.name = name
        self.policy = policy
        self.capacity = 1 if policy is MailboxPolicy.KEEP_LATEST else capacity
        self._items: deque[T] = deque()
        self._readers = trio.lowlevel.ParkingLot()
        self._writers = trio.lowlevel.ParkingLot()
        self._closed = False
        self.put_count = 0
        self.get_count = 0
        self.dropped = 0
        self.high_water = 0
        self.lag_episodes = 0
        self._missed = 0  # puts refused in the current lag episode (MARK_LAGGED)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def depth(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def lagged(self) -> bool:
        """MARK_LAGGED: puts are being refused until the reader drains."""
        return self._missed > 0

    def put_nowait(self, item: T) -> bool:
        """Queue `item` now. Returns False when an item was dropped for it (an older one, or
        under MARK_LAGGED `item` itself); raises
        trio.WouldBlock for a full BLOCK mailbox and MailboxClosed after `close()`."""
        if self._closed:
            raise MailboxClosed(f"{self.name}: closed")
        lost = False
        if self.policy is MailboxPolicy.MARK_LAGGED and (
            self._missed or len(self._items) >= self.capacity
        ):
            if not self._missed:
                self.lag_episodes += 1
            self._missed += 1
            self.dropped += 1
            self._readers.unpark()
            return False
        if len(self._items) >= self.capacity:
            if self.policy is MailboxPolicy.BLOCK:
                raise trio.WouldBlock
            if self.policy is MailboxPolicy.KEEP_LATEST:
                self.dropped += len(self._items)
                self._items.clear()
            else:
                self._items.popleft()
                self.dropped += 1
            lost = True
        self._items.append(item)
        self.put_count += 1
        self.high_water = max(self.high_water, len(self._items))
        self._readers.unpark()
        return not lost

    async def put(self, item: T) -> bool:
        """Queue `item`, waiting for room only under BLOCK. Returns as `put_nowait`."""
        while True:
            try:
                result = self.put_nowait(item)
            except trio.WouldBlock:
                await self._writers.park()
                continue
            await trio.lowlevel.checkpoint()
            return result

    def get_nowait(self) -> T:
        """The oldest item; trio.WouldBlock when empty, trio.EndOfChannel when closed and
        drained."""
        if not self._items:
            if self._closed:
                raise trio.EndOfChannel
            raise trio.WouldBlock
        item = self._items.popleft()
        self.get_count += 1
        self._writers.unpark()
        return item

    def take_nowait(self, limit: int) -> list[T]:
        """Up to `limit` of the oldest items, those queued now (possibly none); never blocks."""
        taken = [self._items.popleft() for _ in range(min(limit, len(self._items)))]
        if taken:
            self.get_count += len(taken)
            self._writers.unpark_all()
        return taken

    async def get(self) -> T:
        while True:
            try:
                item = self.get_nowait()
            except trio.WouldBlock:
                await self._readers.park()
                continue
            await trio.lowlevel.checkpoint()
            return item

    def drain_nowait(self) -> Drained[T]:
        """Everything queued and the count of refused puts since the last drain; this ends a
        lag episode. Empty when there is nothing (never blocks, never raises)."""
        drained = Drained(list(self._items), self._missed)
        self.get_count += len(self._items)
        self._items.clear()
        self._missed = 0
        self._writers.unpark_all()
        return drained

    async def drain(self) -> Drained[T]:
        """Wait until something is queued or missed, then take it all (`drain_nowait`). A
        closed mailbox returns what is left, possibly nothing: check `closed`."""
        await trio.lowlevel.checkpoint_if_cancelled()
        while not self._items and not self._missed and not self._closed:
            await self._readers.park()
        drained = self.drain_nowait()  # taken at once: nothing can overflow while we yield
        await trio.lowlevel.cancel_shielded_checkpoint()
        return drained

    def discard_if_lagged(self) -> bool:
        """In a lag episode: drop everything queued, end the episode and return True (the
        reader re-reads from its other source, which holds all of it). Else change nothing."""
        if not self._missed:
            return False
        self.drain_nowait()
        return True

    def close(self) -> None:
        """No more puts; readers drain what is queued, then see the end."""
        self._closed = True
        self._readers.unpark_all()
        self._writers.unpark_all()

    def reopen(self) -> None:
        """Accept puts again (a restarted producer reusing its mailbox)."""
        self._closed = False

    def __aiter__(self) -> Mailbox[T]:
        return self

    async def __anext__(self) -> T:
        try:
            return await self.get()
        except trio.EndOfChannel:
            raise StopAsyncIteration from None

    def stats(self) -> dict[str, int]:
        return {
            "depth": len(self._items),
            "capacity": self.capacity,
            "put": self.put_count,
            "got": self.get_count,
            "dropped": self.dropped,
            "high_water": self.high_water,
            "lag_episodes": self.lag_episodes,
        }
