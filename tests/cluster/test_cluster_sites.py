"""Two edges on the Hamilton clip and a hub, over a real nats-server on loopback, in one run
(daemons shared between the assertions): alerts in with their site and crop, a verdict back,
a watchlist published, refused when tampered, withdrawn, hostile messages refused, and a
restarted hub resuming from its durable consumer."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.request
from pathlib import Path

import trio
from cluster_helpers import (
    alerts_of,
    audit_of,
    clip_camera,
    make,
    run_lfr,
    site_config,
    wait_for,
    with_nats,
)
from prometheus_client.parser import text_string_to_metric_families

from lfr.client import Endpoint, open_client
from lfr.cluster.link import bundle_bucket
from lfr.store import Store
from lfr.store.alerts import AlertRecord
from lfr.watchlist.bundle import import_payload, open_bundle, read_key, seal_bundle
from support.nats_server import files_holding

SITES = ["van-3", "van-4"]


def _national(hub_home: Path, key_file: Path) -> tuple[str, str]:
    """At the hub: watchlist `national` (the Hamilton star, as in `wl`); its bundle's
    base64 template, to look for in JetStream's files later, and its hash."""
    with Store.open(hub_home) as store:
        text, _ = seal_bundle(store, "wl", read_key(key_file))
        payload = open_bundle(text.encode(), "wl", key=read_key(key_file))
        digest = import_payload(store, payload, "wl", actor="test", signed=True, name="national")
    template_b64 = payload["identities"][0]["templates"][0]["vector_b64"]
    return template_b64[:48], digest


def _record(home: Path, site: str, n: int) -> list[str]:
    """`n` alerts written into a site's store as its alert actor would (the outbox sends them)."""
    with Store.open(home, check=False) as store:
        return [
            store.alerts.record(
                AlertRecord(
                    camera="door",
                    ts=time.time(),
                    watchlist="wl",
                    watchlist_hash="h",
                    identity="lin-manuel-miranda",
                    score=0.7,
                    threshold=0.4,
                    track_id=1000 + i,
                    crop_jpeg=b"\xff\xd8crop" + bytes([i]),
                    site=site,
                )
            ).alert_id
            for i in range(n)
        ]


async def _hostile(url: str) -> None:
    good = {"schema": "1.0", "kind": "alert", "site": "van-3"}

    async def job(nc) -> None:
        js = nc.jetstream()
        await js.publish("lfr.alerts.van-3", b"\x00 not json")
        await js.publish("lfr.alerts.van-3", json.dumps({**good, "schema": "2.0"}).encode())
        await js.publish("lfr.alerts.van-9", json.dumps({**good, "site": "van-9"}).encode())
        await js.publish("lfr.alerts.van-3", json.dumps({**good, "site": "van-4"}).encode())
        await js.publish("lfr.alerts.van-3", json.dumps({**good, "alert": {"seq": "x"}}).encode())

    await with_nats(url, job)


async def _tampered(url: str, hub_home: Path, key_file: Path) -> None:
    """A bundle altered after signing (payload re-hashed, signature kept), announced to
    van-3 as watchlist `forged`."""
    with Store.open(hub_home) as store:
        text, details = seal_bundle(store, "national", read_key(key_file))
    envelope = json.loads(text)
    envelope["payload"] = envelope["payload"].replace("Lin-Manuel Miranda", "Somebody Else")
    envelope["sha256"] = hashlib.sha256(envelope["payload"].encode()).hexdigest()
    bucket = bundle_bucket("forged")

    async def job(nc) -> None:
        js = nc.jetstream()
        store = await js.create_object_store(bucket)
        await store.put("bundle", json.dumps(envelope).encode())
        command = {"schema": "1.0", "kind": "watchlist", "op": "load", "name": "forged"}
        command.update(bucket=bucket, hash=details["content_hash"])
        await js.publish("lfr.watchlists.van-3", json.dumps(command).encode())

    await with_nats(url, job)


def _scrape(url: str) -> dict[str, dict[tuple[str, ...], float]]:
    """Every sample of a /metrics page, by name, keyed by its label values."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        text = resp.read().decode()
    samples: dict[str, dict[tuple[str, ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sample.labels.values())] = sample.value
    return samples


def _running(daemon, name: str) -> str | None:
    found = [w for w in daemon.engine.watchlists.describe() if w["name"] == name]
    return str(found[0]["content_hash"]) if found else None


async def test_two_edges_and_a_hub(
    nats, bundle_key: Path, site_home, live_analyzer, hamilton_clip: Path
) -> None:
    hub_home = site_home("hub")
    template_fragment, national_hash = _national(hub_home, bundle_key)
    hub_cfg = site_config(hub_home, role="hub", url=nats.url, bundle_key=bundle_key, sites=SITES)
    hub_cfg["metrics"] = {"listen": "127.0.0.1:0"}
    homes = {site: site_home(site) for site in SITES}
    edges = {
        site: make(
            site_config(
                homes[site],
                role="edge",
                site=site,
                url=nats.url,
                bundle_key=bundle_key,
                cameras=[clip_camera(hamilton_clip)],
                cooldown_s=600,  # one alert per identity and camera for the whole clip
            ),
            live_analyzer,
        )
        for site in SITES
    }
    async with trio.open_nursery() as nursery:
        hub = make(hub_cfg, live_analyzer)
        await nursery.start(hub.run)
        for edge in edges.values():
            await nursery.start(edge.run)

        # Heartbeats tell the hub each site is alive, with its cameras' states.
        def cameras_reported() -> bool:
            sites = hub.cluster.describe()["sites"]
            return all([c["id"] for c in s.get("cameras", [])] == ["cam"] for s in sites)

        await wait_for(cameras_reported, 30, "both sites' camera states at the hub")

        # Each edge sees the clip's star once: the hub has exactly one alert per edge.
        def cameras_done() -> bool:
            return all(
                e.camera("cam") is None or e.camera("cam").snapshot().state == "ENDED"
                for e in edges.values()
            )

        await wait_for(cameras_done, 120, "both clips to end")
        await wait_for(lambda: len(alerts_of(hub_home)) >= 2, 20, "both alerts at the hub")
        await trio.sleep(1.0)  # nothing more is coming
        at_hub = alerts_of(hub_home)
        assert sorted(a.site for a in at_hub) == SITES
        for alert in at_hub:
            (local,) = alerts_of(homes[alert.site])
            assert (local.alert_id, local.site, local.crop_jpeg) == (
                alert.alert_id,
                alert.site,
                alert.crop_jpeg,
            )
            assert alert.crop_jpeg and alert.crop_jpeg.startswith(b"\xff\xd8")
        # The hub's /metrics labels each site: its alerts, its heartbeats.
        metrics = await trio.to_thread.run_sync(_scrape, f"{hub.metrics.url}/metrics")
        assert metrics["lfr_cluster_connected"] == {(): 1.0}
        assert metrics["lfr_cluster_site_alerts_total"] == {(s,): 1.0 for s in SITES}
        assert metrics["lfr_cluster_site_up"] == {(s,): 1.0 for s in SITES}
        assert metrics["lfr_cluster_messages_total"][("ingested",)] == 2.0
        async with open_client(Endpoint(unix=hub.endpoints.unix_path)) as client:
            listed = await client.alerts_list(0, 10)
            assert sorted(a["site"] for a in listed) == SITES
            assert all(a["has_crop"] for a in listed)

            # A verdict at the hub reaches the edge that raised the alert, audited there too.
            target = next(a for a in at_hub if a.site == "van-4")
            await client.alert_adjudicate(target.alert_id, "confirmed", "officer-k")
        await wait_for(
            lambda: alerts_of(homes["van-4"])[0].status == "confirmed", 10, "the verdict at van-4"
        )
        (at_the_hub,) = audit_of(hub_home, "alert.adjudicate")  # the connection's account
        assert at_the_hub.on_behalf_of == "officer-k"
        (judged,) = audit_of(homes["van-4"], "alert.adjudicate")
        assert judged.details["alert_id"] == target.alert_id
        assert (judged.actor, judged.on_behalf_of) == (f"hub:{at_the_hub.actor}", "officer-k")
        assert audit_of(homes["van-3"], "alert.adjudicate") == []

        # Published at the hub (its CLI, through its socket): running at both edges in 2 s.
        socket = str(hub.endpoints.unix_path)
        done = await trio.to_thread.run_sync(
            run_lfr,
            ["watchlist", "publish", "national", "--sites", "van-3,van-4", "--socket", socket],
        )
        published_at = time.monotonic()
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["content_hash"] == national_hash
        await wait_for(
            lambda: all(_running(e, "national") == national_hash for e in edges.values()),
            2.0,
            "the published watchlist at both edges",
        )
        assert time.monotonic() - published_at < 2.0
        for site in SITES:
            (loaded,) = audit_of(homes[site], "cluster.watchlist.load")
            assert loaded.details["content_hash"] == national_hash

        # The edges report the hash they run to the hub (heartbeats).
        def reported() -> bool:
            sites = hub.cluster.describe()["sites"]
            return all(s.get("watchlists", {}).get("national") == national_hash for s in sites)

        await wait_for(reported, 5, "both edges reporting the hash")
        assert all(beat["alive"] for beat in hub.cluster.describe()["sites"])

        # A bundle altered after signing is refused and audited; the edge runs on.
        await _tampered(nats.url, hub_home, bundle_key)
        await wait_for(
            lambda: audit_of(homes["van-3"], "cluster.watchlist.refused"), 5, "the refusal"
        )
        (refused,) = audit_of(homes["van-3"], "cluster.watchlist.refused")
        assert "signature" in refused.details["reason"]
        assert _running(edges["van-3"], "forged") is None

        # Withdrawn: gone from both edges, their stores and JetStream's files.
        assert files_holding(nats.jetstream_dir, template_fragment.encode())
        done = await trio.to_thread.run_sync(
            run_lfr, ["watchlist", "withdraw", "national", "--socket", socket]
        )
        assert done.returncode == 0, done.stderr
        await wait_for(
            lambda: all(_running(e, "national") is None for e in edges.values()),
            5,
            "the withdrawal at both edges",
        )
        for site in SITES:
            with Store.open(homes[site], check=False) as store:
                assert "national" not in {w.name for w in store.watchlists.all()}
            assert audit_of(homes[site], "cluster.watchlist.withdraw")
        forged = f"OBJ_{bundle_bucket('forged')}"  # the forger's own bucket stays theirs
        left = files_holding(nats.jetstream_dir, template_fragment.encode())
        assert [path for path in left if forged not in path] == []

        # Hostile input on the alert subject: refused, counted, and the hub ingests on.
        await _hostile(nats.url)
        await wait_for(lambda: hub.cluster.counters()["rejected"] == 5, 10, "5 rejections")
        sent = _record(homes["van-3"], "van-3", 1)
        await wait_for(lambda: len(alerts_of(hub_home)) == 3, 10, "a good alert after them")
        assert sent[0] in {a.alert_id for a in alerts_of(hub_home)}

        # A restarted hub resumes from its durable consumer: what came meanwhile, once.
        hub.request_stop()
        await wait_for(lambda: hub.cluster.stats.state.value == "stopped", 10, "the hub stop")
        while_down = _record(homes["van-4"], "van-4", 3)
        hub = make(hub_cfg, live_analyzer)
        await nursery.start(hub.run)
        await wait_for(lambda: len(alerts_of(hub_home)) == 6, 15, "the backlog at the hub")
        await trio.sleep(1.0)
        ids = [a.alert_id for a in alerts_of(hub_home)]
        assert len(ids) == len(set(ids)) == 6
        assert set(while_down) <= set(ids)
        assert hub.cluster.counters().get("duplicates", 0) == 0
        for daemon in (hub, *edges.values()):
            daemon.request_stop()
