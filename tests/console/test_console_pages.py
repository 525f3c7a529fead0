"""The pages behind the live view, over HTTP: history with filters and pages, an alert with
its audit trail, watchlists (and a supervisor enrolling from uploaded photos, seeing the
enrolment gate's reasons and the look-alike warning), the report's plots, the audit trail."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
from console_support import Console, logged_in

from lfr.jpeg import encode_jpeg
from lfr.store import AlertRecord

PHOTO = "face_recognition/examples/lin-manuel-miranda.png"


async def test_history_filters_and_pages_newest_first(console: Console) -> None:
    made = [
        console.emit(identity=f"p{i}", camera="gate-1" if i % 2 else "gate-2") for i in range(7)
    ]
    async with logged_in(console, "olive") as (client, _):
        first = (await client.get("/api/alerts?camera=gate-1&limit=2")).json()
        assert [a["seq"] for a in first["alerts"]] == [made[5]["seq"], made[3]["seq"]]
        more = await client.get(
            f"/api/alerts?camera=gate-1&limit=2&before_seq={first['next_before_seq']}"
        )
        assert [a["seq"] for a in more.json()["alerts"]] == [made[1]["seq"]]
        awaiting = (await client.get("/api/alerts?status=raised&watchlist=wl")).json()["alerts"]
        assert len(awaiting) == 7
        assert (await client.get("/api/alerts?status=maybe")).status_code == 400
        page = await client.get("/alerts?camera=gate-2")
    assert page.status_code == 200
    assert page.text.count('href="/alerts/') == 2 * 4  # seq and identity link per row


async def test_an_alert_page_shows_both_sides_and_its_audit_trail(console: Console) -> None:
    alert = console.emit()
    console.store.alerts.adjudicate(alert["alert_id"], "false", actor="olive", note="a stranger")
    async with logged_in(console, "sam") as (client, _):
        page = await client.get(f"/alerts/{alert['alert_id']}")
        detail = (await client.get(f"/api/alerts/{alert['alert_id']}")).json()
    assert page.status_code == 200
    assert f"/api/alerts/{alert['alert_id']}/crop.jpg" in page.text
    assert "alert.adjudicate" in page.text and "a stranger" in page.text
    assert [(r["action"], r["actor"]) for r in detail["audit"]] == [("alert.adjudicate", "olive")]


async def test_watchlists_show_authorisation_expiry_hash_and_threshold(console: Console) -> None:
    async with logged_in(console, "olive") as (client, _):
        listed = (await client.get("/api/watchlists")).json()["watchlists"]
        page = await client.get("/watchlists")
    (wl,) = listed
    assert wl["name"] == "wl" and wl["purpose"] == "console tests"
    assert wl["content_hash"] and wl["target_fpir"] == 0.0001
    assert wl["threshold"] is not None and wl["threshold_source"] == "calibrated"
    assert wl["content_hash"][:16] in page.text and "New watchlist" not in page.text


async def test_a_supervisor_creates_a_watchlist_and_enrols_from_photos(
    console: Console, analyzer, sample_data: Path
) -> None:
    console.actor.ctx.analyzer = analyzer
    photo = (sample_data / PHOTO).read_bytes()
    blank = encode_jpeg(np.full((200, 200, 3), 128, dtype=np.uint8))  # no face in it
    async with logged_in(console, "sam") as (client, csrf):
        made = await client.post(
            "/watchlists",
            data={
                "name": "stage",
                "purpose": "find the lead",
                "authorised_by": "Supt. Gray",
                "legal_basis": "test",
                "expires": "2999-01-01T00:00",
                "csrf_token": csrf,
            },
        )
        assert made.status_code == 303 and made.headers["location"] == "/watchlists/stage"

        async def upload(identity: str, name: str, data: bytes, **extra: str):
            return await client.post(
                "/watchlists/stage/identities",
                data={"identity_id": identity, "label": "Lin", "csrf_token": csrf, **extra},
                files={"photos": (name, data, "image/png")},
            )

        refused = await upload("nobody", "blank.jpg", blank)
        assert refused.status_code == 422 and "blank.jpg: no face found" in refused.text
        big = await upload("nobody", "noise.jpg", np.random.default_rng(0).bytes(3 << 20))
        assert big.status_code == 422 and "noise.jpg: not a usable image" in big.text
        ok = await upload("lin", "lin.png", photo)
        assert ok.status_code == 200 and "Enrolled lin from 1 photo" in ok.text
        again = await upload("lin-2", "lin-again.png", photo)
        assert again.status_code == 422 and "Look-alike warning" in again.text
        forced = await upload("lin-2", "lin-again.png", photo, force="on")
        assert forced.status_code == 200 and "Enrolled anyway" in forced.text
        thumb = await client.get("/api/watchlists/stage/identities/lin/photos/0.jpg")
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
    assert thumb.headers["cache-control"] == "no-store"
    info = console.store.watchlists.get("stage")
    assert (info.identities, info.authorised_by) == (2, "Supt. Gray")
    actors = {r.actor for r in console.store.audit.records(action_prefix="watchlist.")}
    assert actors == {"sam", "test"}  # "test" created `wl` in the fixture


async def test_report_plots_and_audit_page(console: Console) -> None:
    for score in (0.5, 0.6, 0.7):
        console.emit(score=score)
    async with logged_in(console, "aud") as (client, _):
        report = await client.get("/report/wl")
        audit = await client.get("/audit?actor=test")
        data = (await client.get("/api/audit")).json()
    assert report.status_code == 200
    assert report.text.count("<svg") == 3 and "threshold 0." in report.text
    assert len(re.findall(r"<rect ", report.text)) >= 3
    assert audit.status_code == 200 and 'id="chain-status"' in audit.text
    assert data["verified"] is True and data["records_total"] >= 1
    assert {r["actor"] for r in data["records"]} >= {"test", "aud"}


async def test_crops_are_gone_with_retention(console: Console) -> None:
    old = console.emit()
    kept = console.emit()
    with console.store.db.transaction() as conn:  # captured 40 days ago
        conn.execute(
            "UPDATE alerts SET ts = ts - 40 * 86400 WHERE alert_id = ?", (old["alert_id"],)
        )
    console.store.retention.purge_alerts(alerts_days=31, actor="test")
    async with logged_in(console, "olive") as (client, _):
        gone = await client.get(f"/api/alerts/{old['alert_id']}/crop.jpg")
        there = await client.get(f"/api/alerts/{kept['alert_id']}/crop.jpg")
        page = await client.get(f"/alerts/{old['alert_id']}")
    assert gone.status_code == 404 and "retention" in gone.json()["error"]
    assert there.status_code == 200
    assert page.status_code == 404


async def test_a_hub_labels_each_alert_with_its_site(console: Console) -> None:
    """At a cluster hub, alerts of many sites share the pages: each names its site."""
    record = AlertRecord("cam1", time.time(), "wl", "h" * 64, "id-9", 0.7, 0.363, 1, site="van-3")
    alert = console.store.alerts.record(record)
    async with logged_in(console, "olive") as (client, _):
        history = await client.get("/alerts")
        page = await client.get(f"/alerts/{alert.alert_id}")
        listed = (await client.get("/api/alerts")).json()["alerts"]
    assert "van-3 · cam1" in history.text
    assert "<dt>site</dt><dd>van-3</dd>" in page.text
    assert [a["site"] for a in listed] == ["van-3"]
