"""Round trips of every request over a real Unix socket and over loopback TCP with a token,
through both the raw wire format and the typed clients."""

from __future__ import annotations

import os
import stat

import pytest
import trio
from proto_support import TOKEN, Raw, Served

from lfr.client import Client, Endpoint, Event, ServerError, open_client
from lfr.protocol.messages import CAPABILITIES, PROTOCOL_VERSION


async def test_socket_file_is_private(served: Served) -> None:
    mode = os.lstat(served.unix).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600


async def test_hello_reports_version_capabilities_and_limits(served: Served) -> None:
    raw = await Raw.open(served)
    reply = await raw.hello()
    assert reply["ok"] is True
    result = reply["result"]
    assert result["protocol"] == PROTOCOL_VERSION
    assert result["capabilities"] == list(CAPABILITIES)
    assert result["topics"] == ["alerts", "verdicts", "camera_state", "stats"]
    assert result["limits"]["max_frame_bytes"] == 1 << 20


async def test_every_request_round_trips_on_the_wire(served: Served) -> None:
    alert = served.api.emit(identity="p-7")
    raw = await Raw.open(served)
    await raw.hello()
    ping = await raw.request("ping")
    assert ping["ok"] and isinstance(ping["result"]["time"], float)
    status = (await raw.request("status"))["result"]
    assert status["alerts_today"] == 1 and status["cameras"][0]["state"] == "LIVE"
    assert status["socket"]["unix"] == str(served.unix)
    assert status["socket"]["tcp"] == f"{served.tcp[0]}:{served.tcp[1]}"
    cams = (await raw.request("cameras.list"))["result"]
    assert [c["id"] for c in cams] == ["cam1"]
    wls = (await raw.request("watchlists.list"))["result"]
    assert wls[0]["name"] == "wl"
    assert (await raw.request("watchlist.reload", name="wl"))["result"] == {"reloaded": ["wl"]}
    assert (await raw.request("watchlist.reload"))["ok"]
    assert served.api.reloads == ["wl", None]
    listed = (await raw.request("alerts.list", since_seq=0, limit=10))["result"]
    assert [a["alert_id"] for a in listed] == [alert["alert_id"]]
    adj = await raw.request(
        "alert.adjudicate",
        alert_id=alert["alert_id"],
        verdict="confirmed",
        by="officer 12",
        note="seen",
    )
    judged = adj["result"]
    assert (judged["status"], judged["adjudicated_by"], judged["note"]) == (
        "confirmed",
        "officer 12",
        "seen",
    )
    assert set(judged) == set(alert), "the same alert shape as published"
    sub = await raw.request("subscribe", topics=["alerts", "camera_state"], since_seq=0)
    assert sub["result"]["topics"] == ["alerts", "camera_state"]
    replayed = await raw.recv()
    assert replayed is not None
    assert (replayed["type"], replayed["topic"], replayed["seq"]) == ("event", "alerts", 1)
    assert replayed["data"]["alert_id"] == alert["alert_id"]
    served.hub.publish("camera_state", {"camera": "cam1", "state": "STALLED"})
    state = await raw.recv()
    assert state is not None and state["topic"] == "camera_state"
    assert state["data"] == {"camera": "cam1", "state": "STALLED"}
    ack = await raw.request("ack", topic="alerts", seq=1)
    assert ack["result"] == {"topic": "alerts", "acked_seq": 1}
    status = (await raw.request("status"))["result"]
    (me,) = status["socket"]["clients"]
    assert me["client"] == "raw-test" and me["topics"]["alerts"]["acked_seq"] == 1
    unsub = await raw.request("unsubscribe", topics=["alerts"])
    assert unsub["result"]["topics"] == ["camera_state"]
    await raw.aclose()


@pytest.mark.parametrize(
    ("kind", "fields", "code"),
    [
        ("watchlist.reload", {"name": "nope"}, "not_found"),
        ("alert.adjudicate", {"alert_id": "x", "verdict": "confirmed", "by": "me"}, "not_found"),
        ("alert.adjudicate", {"alert_id": "x", "verdict": "maybe", "by": "me"}, "invalid_argument"),
        ("alert.adjudicate", {"alert_id": "", "verdict": "false", "by": "me"}, "invalid_request"),
        ("alert.adjudicate", {"alert_id": "x", "verdict": "false", "by": ""}, "invalid_request"),
        ("ack", {"topic": "alerts", "seq": 1}, "invalid_state"),
        ("subscribe", {"topics": ["weather"]}, "invalid_request"),
        ("subscribe", {"topics": []}, "invalid_request"),
        ("subscribe", {"topics": ["stats"], "since_seq": 3}, "invalid_request"),
        ("hello", {"version": 1}, "invalid_state"),
    ],
)
async def test_api_errors_have_stable_codes(
    served: Served, kind: str, fields: dict, code: str
) -> None:
    raw = await Raw.open(served)
    await raw.hello()
    reply = await raw.request(kind, **fields)
    assert reply["ok"] is False and reply["error"]["code"] == code
    assert (await raw.request("ping"))["ok"]  # the connection carries on


async def test_a_later_verdict_replaces_the_earlier_one(served: Served) -> None:
    alert = served.api.emit()
    raw = await Raw.open(served)
    await raw.hello()
    aid = alert["alert_id"]
    first = await raw.request("alert.adjudicate", alert_id=aid, verdict="not-engaged", by="a")
    again = await raw.request("alert.adjudicate", alert_id=aid, verdict="not-engaged", by="a")
    assert again["ok"] and again["result"] == first["result"] | {
        "adjudicated_at": again["result"]["adjudicated_at"]
    }, "the same verdict again is idempotent"
    other = await raw.request("alert.adjudicate", alert_id=aid, verdict="confirmed", by="b")
    assert (other["result"]["status"], other["result"]["adjudicated_by"]) == ("confirmed", "b")
    audit = [r for r in served.api.store.audit.records() if r.action == "alert.adjudicate"]
    assert [r.details["verdict"] for r in audit] == ["not-engaged", "not-engaged", "confirmed"]


async def test_blocking_client_typed_methods(served: Served) -> None:
    alert = served.api.emit()

    def use() -> None:
        with Client.connect(Endpoint(unix=served.unix), name="blocking") as c:
            assert c.server["protocol"] == PROTOCOL_VERSION
            assert c.ping()["time"] > 0
            assert c.status()["alerts_today"] == 1
            assert c.cameras_list()[0]["id"] == "cam1"
            assert c.watchlists_list()[0]["name"] == "wl"
            assert c.watchlist_reload()["reloaded"] == ["wl"]
            assert c.alerts_list(since_seq=0, limit=5)[0]["seq"] == alert["seq"]
            verdict = c.alert_adjudicate(alert["alert_id"], "confirmed", "sgt")
            assert verdict["status"] == "confirmed" and verdict["adjudicated_by"] == "sgt"
            with pytest.raises(ServerError) as err:
                c.watchlist_reload("missing")
            assert err.value.code == "not_found"
            c.subscribe(["alerts"], since_seq=0)
            event = c.next_event(timeout=5)
            assert isinstance(event, Event) and event.seq == alert["seq"]
            assert c.ack("alerts", event.seq)["acked_seq"] == event.seq
            assert c.unsubscribe(["alerts"])["topics"] == []
            assert c.next_event(timeout=0.2) is None

    await trio.to_thread.run_sync(use)


async def test_trio_client_over_tcp_with_token(served: Served) -> None:
    alert = served.api.emit()
    endpoint = Endpoint(tcp=served.tcp, token=TOKEN)
    async with open_client(endpoint, name="trio") as c:
        assert c.server["authenticated"] is True
        assert (await c.status())["socket"]["clients"][0]["client"] == "trio"
        assert (await c.alerts_list())[0]["alert_id"] == alert["alert_id"]
        await c.subscribe(["alerts"])
        live = served.api.emit()
        event = await c.next_event()
        assert (
            isinstance(event, Event) and event.seq == live["seq"]
        )  # live only: the older alert is not replayed
