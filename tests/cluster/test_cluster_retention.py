"""Retention inside NATS: the alert stream keeps an alert no longer than the configured age,
and nothing of it (its crop) is left in JetStream's storage directory after that."""

from __future__ import annotations

import base64
import secrets
import time
from pathlib import Path

import trio
from cluster_helpers import alerts_of, make, site_config, wait_for

from lfr.config import parse_config
from lfr.store import Store
from lfr.store.alerts import AlertRecord
from support.nats_server import files_holding

MAX_AGE_S = 3.0


def test_the_stream_age_is_the_retention_never_longer(tmp_path: Path, bundle_key: Path) -> None:
    cfg = parse_config(
        site_config(
            tmp_path, role="hub", url="nats://127.0.0.1:1", bundle_key=bundle_key, sites=["a"]
        )
    )
    assert cfg.cluster.stream_max_age_s(cfg.retention.alerts_days) == 31 * 86_400
    assert cfg.cluster.stream_max_age_s(1) == 86_400
    longer = parse_config(
        site_config(
            tmp_path,
            role="hub",
            url="nats://127.0.0.1:1",
            bundle_key=bundle_key,
            sites=["a"],
            max_age_s=9e9,
        )
    )
    assert longer.cluster.stream_max_age_s(31) == 31 * 86_400


async def test_nothing_past_retention_stays_in_jetstream(
    nats, bundle_key: Path, tmp_path: Path, analyzer
) -> None:
    edge_home, hub_home = tmp_path / "edge", tmp_path / "hub"
    common = {"url": nats.url, "bundle_key": bundle_key, "max_age_s": MAX_AGE_S}
    edge = make(site_config(edge_home, role="edge", site="van-3", **common), analyzer)
    hub = make(site_config(hub_home, role="hub", sites=["van-3"], **common), analyzer)
    crop = b"\xff\xd8" + secrets.token_bytes(64)
    trace = base64.b64encode(crop)[8:60]  # the crop as the alert message carries it
    async with trio.open_nursery() as nursery:
        await nursery.start(edge.run)
        await nursery.start(hub.run)
        with Store.open(edge_home, check=False) as store:
            store.alerts.record(
                AlertRecord("door", time.time(), "wl", "h", "p1", 0.7, 0.4, 1, crop, site="van-3")
            )
        await wait_for(lambda: len(alerts_of(hub_home)) == 1, 10, "the alert at the hub")
        sent_at = time.monotonic()
        assert alerts_of(hub_home)[0].crop_jpeg == crop
        # While in retention, the copy is in JetStream's files (the scan can find it)...
        assert files_holding(nats.jetstream_dir, trace)
        # ...and past it, nothing of it is left there.
        await wait_for(
            lambda: not files_holding(nats.jetstream_dir, trace),
            MAX_AGE_S + 10,
            "JetStream to drop the expired alert",
        )
        assert time.monotonic() - sent_at >= MAX_AGE_S - 0.5
        edge.request_stop()
        hub.request_stop()
