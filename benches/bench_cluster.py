"""One hub and N simulated edges over a real nats-server on loopback: end-to-end alert latency
(edge store commit to hub store commit) and the sustained alerts/s at the hub, beside
JetStream's own acknowledged-publish rate measured with nats-py in the same run.

    .venv/bin/python benches/bench_cluster.py [--edges 50] [--rate 2] [--seconds 20]

Each simulated edge is the real edge code (its own SQLite store as the outbox, `EdgeLink`'s
publish loop, its own NATS connection) minus cameras: a task records alerts into its store at
a steady rate (a 5 KB crop each) and wakes the outbox as the alert actor does. The hub is the
real `HubLink` ingest into its own store. The edges share one asyncio bridge thread (50 bridge
threads on 2 cores would measure the scheduler). The peer: the same message size published
with `js.publish` (each awaits its ack, as the edge does) by 1 and by N concurrent publishers.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from lfr.cluster.bridge import AsyncioBridge  # noqa: E402
from lfr.cluster.edge import EdgeLink  # noqa: E402
from lfr.cluster.hub import HubLink  # noqa: E402
from lfr.cluster.link import NatsLink  # noqa: E402
from lfr.cluster.session import Session  # noqa: E402
from lfr.config import parse_config  # noqa: E402
from lfr.store import Store  # noqa: E402
from lfr.store.alerts import AlertRecord  # noqa: E402
from machine import describe  # noqa: E402
from support.nats_server import NatsServer  # noqa: E402

CROP = b"\xff\xd8" + secrets.token_bytes(5000)


def _session(
    home: Path, bridge: AsyncioBridge, url: str, role: str, site: str, sites: list[str]
) -> Session:
    cfg = parse_config(
        {
            "daemon": {"data_dir": str(home)},
            "cluster": {"role": role, "url": url, "site": site, "sites": sites},
        }
    )
    return Session(
        cfg.cluster, Store.open(home, check=False), bridge, NatsLink(cfg.cluster, max_age_s=86_400)
    )


async def _edge(s: Session, rate: float, seconds: float, sent: list[int]) -> None:
    labels = SimpleNamespace(watchlists=SimpleNamespace(label_of=lambda _w, _i: None))
    edge = EdgeLink(s, labels, lambda: [])  # type: ignore[arg-type]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(s.forever, "outbox", edge.publish_outbox, 0.0)
        t0 = trio.current_time()
        i = 0
        while (due := t0 + i / rate) < t0 + seconds:
            await trio.sleep_until(due)
            record = AlertRecord("cam", time.time(), "wl", "h", "p", 0.7, 0.4, i, CROP, site=s.site)
            await trio.to_thread.run_sync(s.store.alerts.record, record)
            edge.notify()
            sent[0] += 1
            i += 1
        while s.store.cluster.pending():
            await trio.sleep(0.05)
        nursery.cancel_scope.cancel()


async def lfr_phase(url: str, work: Path, edges: int, rate: float, seconds: float) -> dict:
    sites = [f"site-{i:02d}" for i in range(edges)]
    hub_bridge, edge_bridge = (
        AsyncioBridge("bench-hub"),
        AsyncioBridge("bench-edges", max_in_flight=edges * 2),
    )
    hub_bridge.start()
    edge_bridge.start()
    hub_s = _session(work / "hub", hub_bridge, url, "hub", "hub", sites)
    latencies: list[float] = []
    arrivals: list[float] = []

    def announce(alert) -> None:
        now = time.time()
        latencies.append((now - alert.ts) * 1e3)
        arrivals.append(now)

    hub = HubLink(hub_s, announce)
    await hub_bridge.call(hub_s.link.connect)
    edge_sessions = [_session(work / s, edge_bridge, url, "edge", s, sites) for s in sites]
    for s in edge_sessions:
        await edge_bridge.call(s.link.connect)
    sent = [0]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(hub_s.forever, "ingest", hub.ingest, 0.0)
        async with trio.open_nursery() as feeders:
            for s in edge_sessions:
                feeders.start_soon(_edge, s, rate, seconds, sent)
        with trio.move_on_after(60):
            while len(latencies) < sent[0]:
                await trio.sleep(0.05)
        nursery.cancel_scope.cancel()
    for s in [hub_s, *edge_sessions]:
        s.store.close()
    hub_bridge.stop()
    edge_bridge.stop()
    span = max(arrivals) - min(arrivals) if len(arrivals) > 1 else float("nan")
    q = statistics.quantiles(latencies, n=100)
    return {
        "offered_per_s": edges * rate,
        "sent": sent[0],
        "received": len(latencies),
        "hub_alerts_per_s": len(arrivals) / span,
        "p50_ms": q[49],
        "p99_ms": q[98],
    }


async def peer_phase(url: str, publishers: int, seconds: float) -> float:
    """JetStream's own acked publish rate (msg/s) for a message of the alert's size."""
    import nats

    size = len(CROP) * 4 // 3 + 600  # the alert message: JSON with the crop in base64
    body = secrets.token_bytes(size)

    async def run() -> float:
        nc = await nats.connect(url)
        js = nc.jetstream()
        await js.add_stream(name="BENCH_PEER", subjects=["bench.>"], max_age=600)
        count = 0
        stop = time.monotonic() + seconds

        async def one(k: int) -> None:
            nonlocal count
            i = 0
            while time.monotonic() < stop:
                await js.publish(f"bench.{k}", body, headers={"Nats-Msg-Id": f"{k}:{i}"})
                i += 1
                count += 1

        import asyncio

        t0 = time.monotonic()
        await asyncio.gather(*(one(k) for k in range(publishers)))
        rate = count / (time.monotonic() - t0)
        await js.delete_stream("BENCH_PEER")
        await nc.close()
        return rate

    bridge = AsyncioBridge("bench-peer")
    bridge.start()
    try:
        return await bridge.call(run)
    finally:
        bridge.stop()


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--edges", type=int, default=50)
    p.add_argument("--rate", type=float, default=2.0, help="alerts/s per edge")
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args()
    os.environ.setdefault("LFR_AUDIT_KEY_FILE", str(Path(tempfile.mkdtemp()) / "audit.key"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = NatsServer(work / "nats")
        server.start()
        try:
            load0 = os.getloadavg()
            ours = await lfr_phase(server.url, work, args.edges, args.rate, args.seconds)
            peer1 = await peer_phase(server.url, 1, 5.0)
            peer_n = await peer_phase(server.url, args.edges, 5.0)
            load1 = os.getloadavg()
        finally:
            server.stop()
    print(describe())
    print(f"load average before/after: {load0[0]:.2f} / {load1[0]:.2f}")
    print(
        f"lfr: {args.edges} edges x {args.rate:g}/s for {args.seconds:g} s: offered "
        f"{ours['offered_per_s']:.0f} alerts/s, sent {ours['sent']}, received {ours['received']}"
    )
    print(
        f"lfr: hub sustained {ours['hub_alerts_per_s']:.0f} alerts/s; edge store -> hub store "
        f"p50 {ours['p50_ms']:.1f} ms, p99 {ours['p99_ms']:.1f} ms"
    )
    print(f"peer: JetStream acked publish, 1 publisher: {peer1:.0f} msg/s")
    print(f"peer: JetStream acked publish, {args.edges} concurrent publishers: {peer_n:.0f} msg/s")


if __name__ == "__main__":
    trio.run(main)
