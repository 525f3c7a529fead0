"""A capacity limiter whose free slot goes to the most urgent waiter.

`trio.CapacityLimiter` hands a freed slot to whoever asked first. The analysis has two kinds of
work competing for the cores: detecting a frame that just arrived, and deciding on a frame that
was already detected (tracking, embedding, matching). Finishing a frame in hand before starting
a new one is what keeps glass-to-decision short when several cameras deliver frames in the same
instant: first-come order would detect every camera's new frame before deciding on any of them,
so every decision of the burst waits for all of the burst's detections. Within one priority,
first come first served, so no camera starves another.

A `Lane` is the limiter seen at one priority; it has the `acquire_on_behalf_of` /
`release_on_behalf_of` pair `trio.to_thread.run_sync(limiter=...)` calls.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import cast

import trio


@dataclass(order=True, slots=True)
class _Waiter:
    priority: int
    order: int
    borrower: object = field(compare=False)
    granted: trio.Event = field(compare=False, default_factory=trio.Event)


class PriorityLimiter:
    """`total` slots; a slot freed goes to the waiter with the lowest priority number."""

    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError(f"a limiter needs at least one slot, not {total}")
        self.total = total
        self._borrowers: set[object] = set()
        self._waiting: list[_Waiter] = []
        self._order = itertools.count()

    @property
    def borrowed(self) -> int:
        return len(self._borrowers)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def lane(self, priority: int) -> trio.CapacityLimiter:
        """The limiter at `priority`, for `trio.to_thread.run_sync(limiter=...)`: trio takes
        any object with `acquire_on_behalf_of` and `release_on_behalf_of` there, though its
        annotation names only its own class."""
        return cast("trio.CapacityLimiter", Lane(self, priority))

    async def acquire(self, priority: int, borrower: object) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        if borrower in self._borrowers:
            raise RuntimeError("this borrower already holds a slot")
        if len(self._borrowers) < self.total and not self.waiting:
            self._borrowers.add(borrower)
            await trio.lowlevel.cancel_shielded_checkpoint()
            return
        waiter = _Waiter(priority, next(self._order), borrower)
        heapq.heappush(self._waiting, waiter)
        try:
            await waiter.granted.wait()
        except trio.Cancelled:
            if waiter.granted.is_set():  # the slot came with the cancellation: pass it on
                self.release(borrower)
            else:
                self._waiting.remove(waiter)
                heapq.heapify(self._waiting)
            raise

    def release(self, borrower: object) -> None:
        try:
            self._borrowers.remove(borrower)
        except KeyError:
            raise RuntimeError("this borrower holds no slot") from None
        if self._waiting:
            waiter = heapq.heappop(self._waiting)
            self._borrowers.add(waiter.borrower)
            waiter.granted.set()


@dataclass(frozen=True, slots=True)
class Lane:
    """The limiter at one priority, in the shape `trio.to_thread.run_sync` takes."""

    limiter: PriorityLimiter
    priority: int

    async def acquire_on_behalf_of(self, borrower: object) -> None:
        await self.limiter.acquire(self.priority, borrower)

    def release_on_behalf_of(self, borrower: object) -> None:
        self.limiter.release(borrower)
