"""Exactly-once with more than one writer: another process (as `lfr scan --watchlist` does)
stores alerts in the daemon's data dir while the daemon stores its own. A live subscriber and a
resuming one both see every stored alert once, in seq order, over a real Store and socket."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import trio
from proto_support import Raw, alert_record

from lfr.config import SocketConfig
from lfr.daemon.store_api import StoreDaemonApi
from lfr.pipeline.alerts import alert_wire
from lfr.protocol.feed import AlertFeed
from lfr.protocol.hub import EventHub
from lfr.protocol.server import SocketEndpoints, serve_socket
from lfr.store import Store

WRITER = """
import sys, time
from lfr.store import AlertRecord, Store
home, count, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
with Store.open(home) as store:
    for i in range(count):
        store.alerts.record(AlertRecord(
            camera="scan:other", ts=time.time(), watchlist="wl", watchlist_hash="h" * 16,
            identity=f"other-{i}", score=0.8, threshold=0.4, track_id=i, latency_ms=5.0))
        time.sleep(pause)
"""


def _record(store: Store, identity: str) -> dict:
    return alert_wire(store.alerts.record(alert_record(identity=identity)), None)


class TwoWriters:
    """The daemon's half (store, hub, feed, socket) and a second process on the same store."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.store = Store.open(home)
        self.hub = EventHub()
        self.feed = AlertFeed(self.hub, start_after=self.store.alerts.last_seq(), poll_s=0.05)

    async def start(self, nursery: trio.Nursery) -> SocketEndpoints:
        serve = functools.partial(serve_socket, alerts=self.feed)
        api = StoreDaemonApi(self.store)
        return await nursery.start(serve, api, self.hub, SocketConfig(), self.home)

    async def daemon_alert(self, identity: str = "own") -> int:
        """Persist (in a worker thread, as the pipeline does), then offer to the feed."""
        wire = await trio.to_thread.run_sync(_record, self.store, identity)
        self.feed.offer(wire)
        return int(wire["seq"])

    async def other_process(self, count: int, pause: float = 0.0) -> None:
        await trio.run_process(
            [sys.executable, "-c", WRITER, str(self.home), str(count), str(pause)],
            stdout=subprocess.DEVNULL,
        )

    def stored(self) -> list[tuple[int, str]]:
        return [(a.seq, a.alert_id) for a in self.store.alerts.list_since(0, 10_000)]


async def events(raw: Raw, count: int, timeout: float = 10.0) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    with trio.fail_after(timeout):
        while len(out) < count:
            msg = await raw.recv(timeout)
            assert msg is not None and msg["type"] == "event", msg
            out.append((msg["seq"], msg["data"]["alert_id"]))
    return out


async def subscriber(endpoints: SocketEndpoints, since_seq: int | None = None) -> Raw:
    assert endpoints.unix_path is not None
    raw = Raw(await trio.open_unix_socket(str(endpoints.unix_path)))
    await raw.hello()
    fields = {} if since_seq is None else {"since_seq": since_seq}
    assert (await raw.request("subscribe", topics=["alerts"], **fields))["ok"]
    return raw


async def test_live_subscriber_sees_the_other_process_alerts_in_order(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    both = TwoWriters(short_dir)
    endpoints = await both.start(nursery)
    live = await subscriber(endpoints)
    await both.daemon_alert()  # 1
    await both.other_process(3)  # 2, 3, 4: a gap the daemon's next alert reveals
    await both.daemon_alert()  # 5
    await both.other_process(2)  # 6, 7: no daemon alert follows; the poll finds them
    got = await events(live, 7)
    assert got == both.stored()
    assert [seq for seq, _ in got] == list(range(1, 8))
    assert both.feed.filled == 5
    with trio.move_on_after(0.3):  # and nothing twice
        extra = await live.recv(0.3)
        raise AssertionError(f"unexpected {extra}")
    both.store.close()


async def test_resume_across_a_reconnect_sees_each_alert_once(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    both = TwoWriters(short_dir)
    endpoints = await both.start(nursery)
    first = await subscriber(endpoints, since_seq=0)
    await both.other_process(2)
    await both.daemon_alert()
    seen = await events(first, 3)
    await first.aclose()
    await both.daemon_alert()  # while the client is away
    await both.other_process(2)
    second = await subscriber(endpoints, since_seq=seen[-1][0])
    seen += await events(second, 3)  # replayed
    await both.other_process(1)  # live again, both writers
    await both.daemon_alert()
    seen += await events(second, 2)
    assert seen == both.stored()
    assert [seq for seq, _ in seen] == list(range(1, 9))
    both.store.close()


async def test_concurrent_writers_reach_every_subscriber_once_in_order(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    """Both writers at full speed at the same time: the daemon's offers race the feed's reads
    of the store, and a subscriber that reconnects halfway still ends with every alert once."""
    both = TwoWriters(short_dir)
    endpoints = await both.start(nursery)
    live = await subscriber(endpoints)
    resumer = await subscriber(endpoints, since_seq=0)

    async def daemon_writes() -> None:
        for i in range(40):
            await both.daemon_alert(f"own-{i}")
            await trio.sleep(0.002)

    async with trio.open_nursery() as writers:
        writers.start_soon(daemon_writes)
        writers.start_soon(both.other_process, 40, 0.002)
        half = await events(resumer, 20, timeout=30)
        await resumer.aclose()
    resumed = await subscriber(endpoints, since_seq=half[-1][0])
    rest = await events(resumed, 60, timeout=30)
    everything = both.stored()
    assert len(everything) == 80
    assert half + rest == everything
    assert await events(live, 80, timeout=30) == everything
    both.store.close()
