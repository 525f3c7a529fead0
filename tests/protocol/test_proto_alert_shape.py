"""The alert on the wire has one shape, written by one serializer (`alert_wire`): the same map
in live events, replays, `alerts.list` and `alert.adjudicate` results, documented as
`AlertWire` and in docs/protocol.md. A revision (kind "alert_update") is the same alert at a
new seq: a subscriber resuming from before it gets the alert's latest state once."""

from __future__ import annotations

import json
import re
from pathlib import Path

from proto_support import Raw, Served

from lfr.pipeline.alerts import alert_wire
from lfr.protocol.api import AlertWire
from lfr.store import AlertRevision

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def _documented_alert() -> dict:
    section = DOC.read_text().split("### `alerts.list`", 1)[1].split("###", 1)[0]
    reply = re.search(r'\{"type": "reply".*?\]\}', section, re.S)
    assert reply, "the alerts.list reply example is missing"
    return json.loads(reply.group(0))["result"][0]


async def test_one_shape_serialized_documented_and_typed(served: Served) -> None:
    alert = served.api.store.alerts.get(served.api.emit()["alert_id"])
    keys = set(alert_wire(alert, None))
    assert keys == set(AlertWire.__annotations__)
    assert set(_documented_alert()) == keys


async def test_live_replay_list_and_verdict_carry_the_same_alert(served: Served) -> None:
    raw = await Raw.open(served)
    await raw.hello()
    await raw.request("subscribe", topics=["alerts"])
    published = served.api.emit(identity="p-1")
    live = await raw.recv()
    assert live is not None and live["data"] == published
    listed = (await raw.request("alerts.list", since_seq=0))["result"]
    assert listed == [published]
    other = await Raw.open(served)
    await other.hello()
    await other.request("subscribe", topics=["alerts"], since_seq=0)
    replayed = await other.recv()
    assert replayed is not None and replayed["data"] == published
    judged = await raw.request(
        "alert.adjudicate", alert_id=published["alert_id"], verdict="false", by="PC 9"
    )
    changed = {k for k, v in judged["result"].items() if published[k] != v}
    assert changed == {"status", "adjudicated_by", "adjudicated_at"}
    await raw.aclose()
    await other.aclose()


async def test_a_verdict_reaches_every_verdicts_subscriber_as_the_judged_alert(
    served: Served,
) -> None:
    watcher = await Raw.open(served)
    await watcher.hello()
    await watcher.request("subscribe", topics=["verdicts"])
    published = served.api.emit(identity="p-2")
    judge = await Raw.open(served)
    await judge.hello()
    judged = await judge.request(
        "alert.adjudicate", alert_id=published["alert_id"], verdict="confirmed", by="PC 7"
    )
    event = await watcher.recv()
    assert event is not None and event["topic"] == "verdicts"
    assert event["data"] == judged["result"]
    assert (event["data"]["status"], event["data"]["seq"]) == ("confirmed", published["seq"])
    await watcher.aclose()
    await judge.aclose()


async def test_a_revision_is_the_latest_state_of_the_same_alert(served: Served) -> None:
    api = served.api
    first = api.emit(identity="alice")
    second = api.emit(identity="carol")
    revised = api.store.alerts.revise(
        first["alert_id"], AlertRevision("bob", 0.66, 0.363, "h" * 64, first["ts"] + 2)
    )
    raw = await Raw.open(served)
    await raw.hello()
    await raw.request("subscribe", topics=["alerts"], since_seq=first["seq"] - 1)
    update = api.wire(revised)
    api.feed.offer(update)  # as the daemon publishes it (the poll may have been first)
    got = [await raw.recv() for _ in range(2)]
    assert [(m["seq"], m["data"]["alert_id"]) for m in got if m] == [
        (second["seq"], second["alert_id"]),
        (update["seq"], first["alert_id"]),
    ], "each alert once, at its latest state, whether replayed or live"
    data = got[1]["data"] if got[1] else {}
    assert (data["kind"], data["revision"], data["identity"], data["previous_identity"]) == (
        "alert_update",
        1,
        "bob",
        "alice",
    )
    assert first["kind"] == "alert" and first["revision"] == 0
    await raw.aclose()
