"""The console's event stream: every alert once, in seq order, also across reconnects (the
browser's Last-Event-ID), and a verdict given in one session reaches every other at once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import trio
from console_support import Console, logged_in


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, str | None, dict]]:
    """(event, id, data) for each server-sent event, skipping comments and `retry`."""
    kind, event_id, data = "message", None, None
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "" and data is not None:
            yield kind, event_id, data
            kind, event_id, data = "message", None, None


async def take(stream: AsyncIterator[tuple[str, str | None, dict]], n: int, kind: str) -> list:
    got = []
    with trio.fail_after(5):
        async for event in stream:
            if event[0] == kind:
                got.append(event)
                if len(got) == n:
                    return got
    raise AssertionError(f"stream ended after {got}")


async def test_alerts_arrive_once_in_order_and_a_reconnect_resumes(console: Console) -> None:
    first = [console.emit(identity=f"p{i}") for i in range(3)]
    async with logged_in(console, "olive") as (client, _csrf):
        async with client.stream("GET", "/api/events?since_seq=0") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-store"
            stream = events(response)
            replayed = await take(stream, 3, "alert")
            assert [e[2]["alert_id"] for e in replayed] == [a["alert_id"] for a in first]
            assert [e[1] for e in replayed] == [str(a["seq"]) for a in first]
            live = [console.emit(identity="p3"), console.emit(identity="p4")]
            got = await take(stream, 2, "alert")
            assert [e[2] for e in got] == live
        missed = console.emit(identity="p5")  # while the page is away
        resume = {"Last-Event-ID": str(live[0]["seq"])}
        async with client.stream("GET", "/api/events", headers=resume) as response:
            stream = events(response)
            again = await take(stream, 2, "alert")
            assert [e[2]["seq"] for e in again] == [live[1]["seq"], missed["seq"]]
            newest = console.emit(identity="p6")
            assert (await take(stream, 1, "alert"))[0][2] == newest


async def test_a_verdict_in_one_session_reaches_every_other_session(console: Console) -> None:
    alert = console.emit()
    async with (
        logged_in(console, "olive") as (watcher, _),
        logged_in(console, "sam") as (judge, csrf),
        watcher.stream("GET", "/api/events") as response,
    ):
        stream = events(response)
        await take(stream, 1, "hello")
        done = await judge.post(
            f"/api/alerts/{alert['alert_id']}/verdict",
            json={"verdict": "false", "note": "not him"},
            headers={"X-CSRF-Token": csrf},
        )
        assert done.status_code == 200
        ((_, event_id, verdict),) = await take(stream, 1, "verdict")
    assert event_id is None  # only alerts move the page's resume point
    assert verdict == done.json()
    assert (verdict["status"], verdict["adjudicated_by"], verdict["note"]) == (
        "false",
        "sam",
        "not him",
    )
