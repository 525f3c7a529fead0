"""AlertFeed over a real Store: the daemon's own alert goes out at once when nothing is
missing before it, a gap is filled from the store first, and a gap whose alerts were deleted
holds nothing up."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import trio
from proto_support import alert_record

from lfr.daemon.store_api import StoreDaemonApi
from lfr.pipeline.alerts import alert_wire
from lfr.protocol.feed import MAX_PENDING, AlertFeed
from lfr.protocol.hub import EventHub
from lfr.store import Store, StoreError


async def _drained(feed: AlertFeed) -> None:
    with trio.fail_after(5):
        while feed.pending:
            await trio.sleep(0.01)


async def test_in_order_alerts_go_out_at_once_and_gaps_are_filled_first(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    store = Store.open(short_dir)
    early = store.alerts.record(alert_record(identity="before-start"))
    hub = EventHub()
    sub = hub.subscribe("alerts", 100)
    # no poll during the test: only gaps make the feed read the store
    feed = AlertFeed(hub, start_after=early.seq, poll_s=60.0)
    feed.offer(alert_wire(early, None))  # offered late: at or before the start
    await nursery.start(feed.run, StoreDaemonApi(store).alerts_since)
    await _drained(feed)
    assert sub.depth == 0  # at or before the start: history, for replays only

    own = store.alerts.record(alert_record(identity="own-1"))
    feed.offer(alert_wire(own, None))
    assert hub.published["alerts"] == 1  # synchronously: no store read on the fast path

    other = [store.alerts.record(alert_record(identity=f"other-{i}")) for i in range(2)]
    own2 = store.alerts.record(alert_record(identity="own-2"))
    feed.offer(alert_wire(own2, None))
    assert feed.pending == 1  # held until the gap is filled
    await _drained(feed)
    got = (await sub.take()).items
    assert [seq for seq, _ in got] == [own.seq, other[0].seq, other[1].seq, own2.seq]
    assert feed.filled == 2 and feed.last_seq == own2.seq
    store.close()


async def test_a_gap_of_deleted_alerts_does_not_hold_the_next_one(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    store = Store.open(short_dir)
    hub = EventHub()
    sub = hub.subscribe("alerts", 100)
    feed = AlertFeed(hub, start_after=0, poll_s=60.0)
    await nursery.start(feed.run, StoreDaemonApi(store).alerts_since)
    gone = store.alerts.record(alert_record(identity="deleted"))
    with sqlite3.connect(short_dir / "lfr.db") as db:  # e.g. removed by another process
        db.execute("DELETE FROM alerts WHERE seq = ?", (gone.seq,))
    own = store.alerts.record(alert_record(identity="own"))
    feed.offer(alert_wire(own, None))
    await _drained(feed)
    assert [seq for seq, _ in (await sub.take()).items] == [own.seq]
    store.close()


async def test_held_alerts_stay_bounded_and_a_failed_read_is_retried(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    """While the store cannot be read the feed holds at most MAX_PENDING offered alerts (the
    store keeps them all), and once a read succeeds every one goes out in order."""
    store = Store.open(short_dir)
    hub = EventHub()
    sub = hub.subscribe("alerts", 2 * MAX_PENDING)
    feed = AlertFeed(hub, start_after=0, poll_s=0.05)
    store.alerts.record(alert_record(identity="other"))  # the gap: offers must wait
    reads = StoreDaemonApi(store).alerts_since
    failures = 3

    async def flaky(after: int, limit: int) -> Sequence[Mapping[str, Any]]:
        nonlocal failures
        if failures:
            failures -= 1
            raise StoreError("database is locked")
        return await reads(after, limit)

    for _ in range(MAX_PENDING + 100):
        feed.offer(alert_wire(store.alerts.record(alert_record()), None))
        assert feed.pending <= MAX_PENDING
    await nursery.start(feed.run, flaky)
    with trio.fail_after(10):
        while feed.last_seq < MAX_PENDING + 101:
            await trio.sleep(0.02)
    assert [seq for seq, _ in (await sub.take()).items] == list(range(1, MAX_PENDING + 102))
    assert feed.read_errors == 3 and feed.pending == 0
    store.close()
