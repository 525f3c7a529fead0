"""Alert revisions: a track's one alert, revised when its evidence moves to another identity,
keeps its alert_id, moves to a new seq (so a subscriber resuming from any seq gets its latest
state once), drops a verdict given for the previous identity, and is audited."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lfr.store import AlertNotFound, AlertRecord, AlertRevision, Store, StoreError
from lfr.store.db import DB_FILENAME
from lfr.store.schema import MIGRATIONS


def raise_one(store: Store, identity: str = "alice", crop: bytes | None = b"\xff\xd8a") -> str:
    rec = AlertRecord("cam1", 1000.0, "wl", "h" * 64, identity, 0.55, 0.5, 7, crop, 80.0)
    return store.alerts.record(rec).alert_id


def revision(identity: str = "bob", crop: bytes | None = b"\xff\xd8b") -> AlertRevision:
    return AlertRevision(identity, 0.61, 0.5, "g" * 64, 1002.5, crop)


def test_a_revision_is_the_same_alert_at_a_new_seq(store: Store) -> None:
    first = store.alerts.get(raise_one(store))
    later = store.alerts.get(raise_one(store, "carol"))
    revised = store.alerts.revise(first.alert_id, revision())
    assert revised.alert_id == first.alert_id
    assert revised.seq > later.seq, "moved to the end of the alert log"
    assert (revised.revision, revised.identity, revised.previous_identity) == (1, "bob", "alice")
    assert (revised.ts, revised.revised_at, revised.track_id) == (1000.0, 1002.5, 7)
    assert (revised.score, revised.watchlist_hash, revised.crop_jpeg) == (
        0.61,
        "g" * 64,
        b"\xff\xd8b",
    )
    assert revised.latency_ms == first.latency_ms and revised.recorded_at == first.recorded_at
    assert [a.alert_id for a in store.alerts.list_since(0)] == [later.alert_id, first.alert_id]
    assert [a.alert_id for a in store.alerts.list_since(later.seq)] == [first.alert_id]
    assert store.alerts.last_seq() == revised.seq
    again = store.alerts.revise(first.alert_id, revision("dave", crop=None))
    assert (again.revision, again.previous_identity) == (2, "bob")
    assert again.crop_jpeg == b"\xff\xd8b", "no new crop keeps the last one"


def test_a_verdict_for_the_previous_identity_no_longer_applies(store: Store) -> None:
    alert_id = raise_one(store)
    store.alerts.adjudicate(alert_id, "confirmed", actor="PC 1")
    revised = store.alerts.revise(alert_id, revision())
    assert (revised.status, revised.adjudicated_by, revised.adjudicated_at) == (
        "raised",
        None,
        None,
    )
    audit = [r for r in store.audit.records() if r.action == "alert.revise"]
    assert len(audit) == 1
    details = audit[0].details
    assert details["alert_id"] == alert_id and details["previous_status"] == "confirmed"
    assert (details["identity"], details["previous_identity"], details["revision"]) == (
        "bob",
        "alice",
        1,
    )
    assert store.audit.verify().ok


def test_bad_revisions_change_nothing(store: Store) -> None:
    alert_id = raise_one(store)
    before = store.alerts.get(alert_id)
    with pytest.raises(AlertNotFound):
        store.alerts.revise("no-such-alert", revision())
    for bad in (
        AlertRevision("", 0.6, 0.5, "g", 1.0),
        AlertRevision("bob", float("nan"), 0.5, "g", 1.0),
        AlertRevision("bob", 0.6, 0.5, "g", 1.0, b"x" * (600 * 1024)),
    ):
        with pytest.raises(StoreError):
            store.alerts.revise(alert_id, bad)
    assert store.alerts.get(alert_id) == before


def test_a_version_one_store_gains_the_revision_columns(home: Path) -> None:
    home.mkdir(parents=True)
    conn = sqlite3.connect(home / DB_FILENAME)
    for statement in dict(MIGRATIONS)[1]:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO alerts (alert_id, camera, ts, watchlist, watchlist_hash, identity, score, "
        "threshold, track_id, recorded_at) VALUES ('old', 'c', 1.0, 'wl', 'h', 'p', 0.5, 0.4, 1, 2.0)"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store.open(home) as store:
        old = store.alerts.get("old")
        assert (old.revision, old.previous_identity, old.revised_at) == (0, None, None)
        assert store.alerts.revise("old", revision()).revision == 1
