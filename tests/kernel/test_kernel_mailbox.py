"""Mailbox policies: what is kept, what is dropped, and that every drop is counted."""

from __future__ import annotations

import pytest
import trio

from lfr.kernel import Actor, Mailbox, MailboxClosed, MailboxPolicy


def _drain(box: Mailbox[int]) -> list[int]:
    out = []
    while box.depth:
        out.append(box.get_nowait())
    return out


def test_block_refuses_when_full_and_loses_nothing() -> None:
    box: Mailbox[int] = Mailbox(2, MailboxPolicy.BLOCK)
    assert box.put_nowait(1) and box.put_nowait(2)
    with pytest.raises(trio.WouldBlock):
        box.put_nowait(3)
    assert _drain(box) == [1, 2]
    assert box.dropped == 0


async def test_block_put_waits_for_room() -> None:
    box: Mailbox[int] = Mailbox(1, MailboxPolicy.BLOCK)
    await box.put(1)
    done = trio.Event()

    async def producer() -> None:
        await box.put(2)
        done.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(producer)
        await trio.testing.wait_all_tasks_blocked()
        assert not done.is_set()  # still waiting: the mailbox is full
        assert await box.get() == 1
        await done.wait()
    assert await box.get() == 2
    assert box.dropped == 0


def test_drop_oldest_keeps_the_newest_and_counts() -> None:
    box: Mailbox[int] = Mailbox(3, MailboxPolicy.DROP_OLDEST)
    results = [box.put_nowait(i) for i in range(7)]
    assert results == [True, True, True, False, False, False, False]
    assert _drain(box) == [4, 5, 6]
    assert box.dropped == 4 and box.put_count == 7


def test_keep_latest_replaces_the_unread_item() -> None:
    box: Mailbox[int] = Mailbox(8, MailboxPolicy.KEEP_LATEST)
    assert box.capacity == 1
    for i in range(5):
        box.put_nowait(i)
    assert _drain(box) == [4]
    box.put_nowait(5)
    assert _drain(box) == [5]
    assert box.dropped == 4
    assert box.stats()["dropped"] == 4


async def test_close_drains_then_ends_iteration() -> None:
    box: Mailbox[int] = Mailbox(4)
    for i in range(3):
        await box.put(i)
    box.close()
    with pytest.raises(MailboxClosed):
        box.put_nowait(9)
    assert [i async for i in box] == [0, 1, 2]
    with pytest.raises(trio.EndOfChannel):
        box.get_nowait()


async def test_close_wakes_a_waiting_reader() -> None:
    box: Mailbox[int] = Mailbox(1)
    seen: list[int] = []

    async def reader() -> None:
        async for item in box:
            seen.append(item)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(reader)
        await trio.testing.wait_all_tasks_blocked()
        box.close()
    assert seen == []


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Mailbox(0)


def test_mark_lagged_refuses_until_drained_and_reports_the_gap() -> None:
    """A full MARK_LAGGED mailbox keeps an unbroken run, then counts the gap: room freed by a
    single `get` does not end the episode (that would hide a hole), only `drain` does."""
    box: Mailbox[int] = Mailbox(3, MailboxPolicy.MARK_LAGGED)
    results = [box.put_nowait(i) for i in range(5)]
    assert results == [True, True, True, False, False]
    assert box.lagged and box.lag_episodes == 1
    assert box.get_nowait() == 0
    assert box.put_nowait(5) is False  # room, but still in the episode
    drained = box.drain_nowait()
    assert (drained.items, drained.missed) == ([1, 2], 3)
    assert not box.lagged and box.dropped == 3
    assert box.put_nowait(6) and box.drain_nowait().items == [6]
    assert box.stats()["lag_episodes"] == 1


async def test_drain_waits_for_a_put_or_a_miss_and_discard_ends_the_episode() -> None:
    box: Mailbox[str] = Mailbox(1, MailboxPolicy.MARK_LAGGED)
    got = []

    async def reader() -> None:
        got.append(await box.drain())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(reader)
        await trio.testing.wait_all_tasks_blocked()
        assert got == []
        box.put_nowait("a")
    assert got[0].items == ["a"] and got[0].missed == 0
    box.put_nowait("b")
    box.put_nowait("c")
    assert box.discard_if_lagged() and box.depth == 0 and not box.lagged
    assert not box.discard_if_lagged()  # nothing lagged: nothing changes
    box.put_nowait("d")
    assert not box.discard_if_lagged() and box.depth == 1
    box.close()
    assert (await box.drain()).items == ["d"]
    assert (await box.drain()).items == []  # closed and empty: returns at once


async def test_a_batching_actor_takes_what_is_queued_together_in_order() -> None:
    """`batch_limit`: each call gets the messages queued when it takes the next, up to the
    limit; a blocked writer waiting for room is let in once a batch makes it."""

    class Batcher(Actor[int]):
        batch_limit = 3

        def __init__(self) -> None:
            super().__init__("batcher", mailbox=Mailbox(4, MailboxPolicy.BLOCK))
            self.batches: list[list[int]] = []

        async def handle_batch(self, messages: list[int]) -> None:
            self.batches.append(messages)

    actor = Batcher()
    box = actor.mailbox
    assert box is not None
    for i in range(4):
        box.put_nowait(i)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(box.put, 4)  # waits: the mailbox is full
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(actor.run)
        await trio.testing.wait_all_tasks_blocked()
        box.put_nowait(5)
        await trio.testing.wait_all_tasks_blocked()
        actor.request_stop()
    assert actor.batches[0] == [0, 1, 2]
    assert [m for batch in actor.batches for m in batch] == [0, 1, 2, 3, 4, 5]
    assert all(len(batch) <= 3 for batch in actor.batches)
    assert actor.stats.processed == 6
    assert box.take_nowait(5) == []
