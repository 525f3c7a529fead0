"""The analysis limiter: a freed slot goes to the most urgent waiter, first come first served
within a priority; a cancelled waiter neither gets a slot nor loses one; trio's worker threads
accept its lanes as their limiter."""

from __future__ import annotations

import threading
import time

import pytest
import trio
import trio.testing

from lfr.kernel.priority import PriorityLimiter


async def test_a_freed_slot_goes_to_the_most_urgent_then_the_first() -> None:
    cores = PriorityLimiter(1)
    decide, detect = cores.lane(0), cores.lane(1)
    granted: list[str] = []

    async def job(name: str, lane: trio.CapacityLimiter) -> None:
        await lane.acquire_on_behalf_of(name)
        granted.append(name)
        await trio.sleep(0.01)
        lane.release_on_behalf_of(name)

    async with trio.open_nursery() as nursery:
        await detect.acquire_on_behalf_of("holder")
        for name, lane in (("detect-a", detect), ("decide-a", decide), ("detect-b", detect)):
            nursery.start_soon(job, name, lane)
            await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(job, "decide-b", decide)
        await trio.testing.wait_all_tasks_blocked()
        assert (cores.borrowed, cores.waiting) == (1, 4)
        detect.release_on_behalf_of("holder")
    assert granted == ["decide-a", "decide-b", "detect-a", "detect-b"]
    assert (cores.borrowed, cores.waiting) == (0, 0)


async def test_a_cancelled_waiter_is_skipped_and_keeps_no_slot() -> None:
    cores = PriorityLimiter(1)
    lane = cores.lane(0)
    await lane.acquire_on_behalf_of("holder")
    got: list[str] = []

    async def waiter(name: str) -> None:
        await lane.acquire_on_behalf_of(name)
        got.append(name)
        lane.release_on_behalf_of(name)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter, "first")
        await trio.testing.wait_all_tasks_blocked()
        cancel = trio.CancelScope()

        async def cancellable() -> None:
            with cancel:
                await waiter("cancelled")

        nursery.start_soon(cancellable)
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(waiter, "last")
        await trio.testing.wait_all_tasks_blocked()
        cancel.cancel()
        await trio.testing.wait_all_tasks_blocked()
        assert cores.waiting == 2
        lane.release_on_behalf_of("holder")
    assert got == ["first", "last"]
    assert cores.borrowed == 0
    with pytest.raises(RuntimeError, match="no slot"):
        lane.release_on_behalf_of("nobody")


async def test_worker_threads_take_a_lane_as_their_limiter() -> None:
    cores = PriorityLimiter(2)
    running, most = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    async with trio.open_nursery() as nursery:
        for i in range(6):
            lane = cores.lane(i % 2)
            nursery.start_soon(lambda lane=lane: trio.to_thread.run_sync(work, limiter=lane))
    assert most == 2
    assert cores.borrowed == 0


def test_a_limiter_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        PriorityLimiter(0)
