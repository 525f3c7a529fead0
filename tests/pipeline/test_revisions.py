"""A track's one alert and its revision through the real alert path: the store keeps one alert
(revision 1, previous identity, audited), and the revision reaches every output (the stdout
line, the daily alert log, the socket hub) as kind "alert_update" with the same alert_id, in the one
wire shape, at a seq after the alert's. Decisions go through the alert actor's mailbox, as the
cameras hand them over."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import trio

from lfr.pipeline.alert_actor import AlertActor, AlertJob
from lfr.pipeline.alert_log import JsonlOutput
from lfr.pipeline.alerts import StreamOutput, alert_wire
from lfr.pipeline.analysis import AlertCandidate
from lfr.pipeline.engine import Engine
from lfr.protocol.api import AlertWire
from lfr.protocol.codec import FrameDecoder
from lfr.protocol.feed import AlertFeed
from lfr.protocol.hub import EventHub
from lfr.store import Store
from lfr.store.errors import StoreError


def decision(
    kind: str, identity: str, previous: str | None, revision: int, camera: str = "gate"
) -> AlertCandidate:
    return AlertCandidate(
        kind=kind,
        camera=camera,
        track_id=5,
        identity=identity,
        previous_identity=previous,
        revision=revision,
        score=0.61,
        templates=3 + revision,
        time_to_alert_s=0.4,
        wall_ts=1_700_000_000.0 + revision,
        t_decoded=0.0,
        watchlist="wl",
        watchlist_hash="h" * 64,
        threshold=0.5,
        crop=np.full((112, 112, 3), 40 * (revision + 1), np.uint8),
    )


async def test_a_revision_reaches_every_output_as_an_alert_update(
    tmp_path: Path, live_analyzer
) -> None:
    lines, hub = io.StringIO(), EventHub()
    sub = hub.subscribe("alerts", 8)
    with Store.open(tmp_path / "home") as store:
        outputs = [StreamOutput(lines), JsonlOutput(store.alert_log)]
        log_files = store.alert_log
        feed = AlertFeed(hub, start_after=store.alerts.last_seq())  # the daemon's way in
        engine = Engine(store, live_analyzer, outputs, publish=feed.offer_alert)
        ctx = engine.camera("gate", "wl", media_clock=True)
        other = engine.camera("door", "wl", media_clock=True)
        actor = AlertActor(engine.dispatcher, engine.watchlists.label_of, engine.latency)
        async with trio.open_nursery() as nursery:
            await nursery.start(actor.run)
            await actor.inbox.put(AlertJob(decision("alert", "alice", None, 0), ctx))
            await actor.inbox.put(AlertJob(decision("alert", "carol", None, 0, "door"), other))
            await actor.inbox.put(AlertJob(decision("alert_update", "bob", "alice", 1), ctx))
            actor.request_stop()  # it persists and announces what it was handed, then ends
        (alert,) = [a for a in store.alerts.list_since(0) if a.camera == "gate"]
        assert (alert.identity, alert.previous_identity, alert.revision) == ("bob", "alice", 1)
        assert [a.identity for a in store.alerts.list_since(0)] == ["carol", "bob"]
        assert store.alerts.last_seq() == 3 and alert.seq == 3
        assert [r.action for r in store.audit.records()].count("alert.revise") == 1
        stored = alert_wire(alert, None)
    assert (ctx.counters.alerts + other.counters.alerts, ctx.counters.revisions) == (2, 1)
    time_to_alert = engine.latency.summary()["time_to_alert"]
    assert (time_to_alert["p50"], time_to_alert["n"]) == (400.0, 2), "the revision is not timed"
    text = lines.getvalue().splitlines()
    assert text[0].startswith("ALERT #1 ") and "alice" in text[0]
    assert text[2].startswith("ALERT UPDATE #3 ") and "revision 1" in text[2]
    assert "bob" in text[2] and "was=alice" in text[2]
    logged = [json.loads(x) for p in log_files.files() for x in p.read_text().splitlines()]
    assert [(x["kind"], x["identity"], x["seq"]) for x in logged] == [
        ("alert", "alice", 1),
        ("alert", "carol", 2),
        ("alert_update", "bob", 3),
    ]
    assert logged[0]["alert_id"] == logged[2]["alert_id"]
    assert logged[2] == stored, "published exactly as stored (latency included)"
    assert set(logged[2]) == set(AlertWire.__annotations__)
    with trio.fail_after(1):
        backlog = await sub.take()
    events = [m for _, frame in backlog.items for m in FrameDecoder().feed(frame)]
    assert [(e["seq"], e["data"]["kind"]) for e in events] == [
        (1, "alert"),
        (2, "alert"),
        (3, "alert_update"),
    ]
    assert events[2]["data"] == stored


async def test_a_burst_is_committed_once_and_its_revision_finds_its_alert(
    tmp_path: Path, live_analyzer
) -> None:
    """Decisions queued together (cameras deciding in the same instant) go to the store in
    one transaction, in mailbox order; a revision in the burst updates the alert raised
    earlier in the same burst, as it would across two transactions."""
    with Store.open(tmp_path / "home") as store:
        statements: list[str] = []
        store.db._conn.set_trace_callback(statements.append)
        engine = Engine(store, live_analyzer, [])
        gate, door = (engine.camera(c, "wl", media_clock=True) for c in ("gate", "door"))
        actor = AlertActor(engine.dispatcher, engine.watchlists.label_of, engine.latency)
        for job in (
            AlertJob(decision("alert", "alice", None, 0), gate),
            AlertJob(decision("alert", "carol", None, 0, "door"), door),
            AlertJob(decision("alert_update", "bob", "alice", 1), gate),
        ):
            actor.inbox.put_nowait(job)  # all queued before the actor takes any
        actor.request_stop()
        await actor.run()
        stored = store.alerts.list_since(0)
    assert [(a.camera, a.identity, a.revision, a.seq) for a in stored] == [
        ("door", "carol", 0, 2),
        ("gate", "bob", 1, 3),
    ]
    assert gate.alert_ids.of(5) == stored[1].alert_id
    assert (gate.counters.alerts, gate.counters.revisions, door.counters.alerts) == (1, 1, 1)
    assert actor.stats.processed == 3
    assert statements.count("BEGIN IMMEDIATE") == 1, "one write transaction for the burst"


async def test_a_record_the_store_refuses_costs_only_itself(tmp_path: Path, live_analyzer) -> None:
    """A batch the store refuses whole (one record it rejects: a bug upstream) is written
    again one decision at a time: the others are persisted and announced in order, and the
    one at fault crashes the actor as a single message would (the supervisor restarts it)."""
    with Store.open(tmp_path / "home") as store:
        engine = Engine(store, live_analyzer, [])
        gate = engine.camera("gate", "wl", media_clock=True)
        actor = AlertActor(engine.dispatcher, engine.watchlists.label_of, engine.latency)
        for identity in ("alice", "", "carol"):
            actor.inbox.put_nowait(AlertJob(decision("alert", identity, None, 0), gate))
        actor.request_stop()
        with pytest.raises(StoreError, match="identity"):
            await actor.run()
        assert [a.identity for a in store.alerts.list_since(0)] == ["alice", "carol"]
    assert gate.counters.alerts == 2
