"""Alerts: committed before `record` returns, strictly increasing seq never reused across
restarts and deletions, verdicts recorded and audited, CLI round trips."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from lfr.store import AlertNotFound, AlertRecord, Store, StoreError
from lfr.store.db import DB_FILENAME


def rec(
    ts: float, identity: str = "p1", *, crop: bytes | None = None, watchlist: str = "wl"
) -> AlertRecord:
    return AlertRecord(
        camera="cam1",
        ts=ts,
        watchlist=watchlist,
        watchlist_hash="h" * 64,
        identity=identity,
        score=0.52,
        threshold=0.363,
        track_id=7,
        crop_jpeg=crop,
        latency_ms=123.0,
    )


def test_record_is_committed_before_it_returns(store: Store, home: Path) -> None:
    alert = store.alerts.record(rec(1000.0, crop=b"\xff\xd8jpeg"))
    other = sqlite3.connect(home / DB_FILENAME)  # another connection sees it at once
    row = other.execute("SELECT alert_id, seq, status FROM alerts").fetchone()
    other.close()
    assert row == (alert.alert_id, alert.seq, "raised")
    got = store.alerts.get(alert.alert_id)
    assert got.crop_jpeg == b"\xff\xd8jpeg" and got.latency_ms == 123.0
    assert got == alert  # every field round trips, crop included
    assert got.identity == "p1" and got.track_id == 7 and got.watchlist_hash == "h" * 64


def test_seq_strictly_increases_and_is_never_reused(home: Path) -> None:
    with Store.open(home) as store:
        seqs = [store.alerts.record(rec(float(i))).seq for i in range(5)]
        assert seqs == sorted(set(seqs)) and seqs[0] >= 1
        # retention deletes everything, including the newest alert
        assert store.retention.purge_alerts(alerts_days=1, now=10 * 86_400).alerts == 5
    with Store.open(home) as store:  # a restart
        assert store.alerts.last_seq() == seqs[-1]
        nxt = store.alerts.record(rec(20.0)).seq
    assert nxt > seqs[-1]


def test_list_since_orders_and_limits(store: Store) -> None:
    alerts = [store.alerts.record(rec(float(i), f"p{i}")) for i in range(6)]
    page = store.alerts.list_since(alerts[1].seq, limit=3)
    assert [a.seq for a in page] == [a.seq for a in alerts[2:5]]
    assert store.alerts.list_since(alerts[-1].seq) == []
    assert [a.identity for a in store.alerts.list_since(0)] == [f"p{i}" for i in range(6)]


def test_adjudication_is_recorded_and_audited(store: Store) -> None:
    alert = store.alerts.record(rec(5.0))
    done = store.alerts.adjudicate(
        alert.alert_id, "false", actor="ops", on_behalf_of="PC 123", note="not him"
    )
    assert (done.status, done.adjudicated_by, done.note) == ("false", "PC 123", "not him")
    assert done.adjudicated_at is not None
    again = store.alerts.adjudicate(alert.alert_id, "confirmed", actor="sgt9")
    assert (again.status, again.adjudicated_by) == ("confirmed", "sgt9")
    audit = store.audit.records(action_prefix="alert.")
    assert [
        (r.actor, r.on_behalf_of, r.details["verdict"], r.details["previous"]) for r in audit
    ] == [
        ("ops", "PC 123", "false", "raised"),
        ("sgt9", None, "confirmed", "false"),
    ]
    assert store.audit.verify().ok
    with pytest.raises(StoreError, match="unknown verdict"):
        store.alerts.adjudicate(alert.alert_id, "maybe", actor="ops")
    with pytest.raises(StoreError, match="account"):
        store.alerts.adjudicate(alert.alert_id, "false", actor=" ")
    with pytest.raises(AlertNotFound):
        store.alerts.adjudicate("no-such-id", "false", actor="ops")
    assert store.alerts.get(alert.alert_id).status == "confirmed"


def test_cli_records_the_account_as_actor_and_by_as_on_behalf_of(store: Store, cli) -> None:
    alert = store.alerts.record(rec(5.0))
    result = cli("alerts", "adjudicate", alert.alert_id, "--verdict", "false", "--by", "PC 7")
    assert result.code == 0, result.err
    (record,) = store.audit.records(action_prefix="alert.")
    assert (record.actor, record.on_behalf_of) == ("tester", "PC 7")  # $LFR_ACTOR, --by
    result = cli("alerts", "adjudicate", alert.alert_id, "--verdict", "confirmed")
    assert result.code == 0 and "confirmed by tester" in result.out
    assert store.audit.records(action_prefix="alert.")[-1].on_behalf_of is None
    with pytest.raises(SystemExit):  # no flag to claim another name as the actor
        cli("alerts", "adjudicate", alert.alert_id, "--verdict", "false", "--actor", "mallory")


def test_bad_records_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="score"):
        store.alerts.record(AlertRecord("c", 1.0, "wl", "h", "p", float("nan"), 0.3, 1))
    with pytest.raises(StoreError, match="camera"):
        store.alerts.record(AlertRecord("", 1.0, "wl", "h", "p", 0.5, 0.3, 1))
    assert store.alerts.list_since(0) == []


def test_cli_alerts_round_trip(store: Store, cli, tmp_path: Path) -> None:
    a1 = store.alerts.record(rec(1_700_000_000.0, "p1", crop=b"\xff\xd8crop"))
    a2 = store.alerts.record(rec(1_700_000_100.0, "p2"))
    listed = cli("alerts", "list")
    assert listed.code == 0
    assert [line.split("\t")[1] for line in listed.out.splitlines()] == [a1.alert_id, a2.alert_id]
    shown = json.loads(
        cli("alerts", "show", a1.alert_id, "--json", "--crop", str(tmp_path / "c.jpg")).out
    )
    assert shown["identity"] == "p1" and shown["has_crop"] is True
    assert (tmp_path / "c.jpg").read_bytes() == b"\xff\xd8crop"
    result = cli(
        "alerts",
        "adjudicate",
        a1.alert_id,
        "--verdict",
        "not-engaged",
        "--by",
        "PC 7",
        "--note",
        "left the area",
    )
    assert result.code == 0 and "not-engaged by PC 7" in result.out
    raised = json.loads(cli("alerts", "list", "--status", "raised", "--json").out)
    assert [a["alert_id"] for a in raised] == [a2.alert_id]
    later = json.loads(cli("alerts", "list", "--since", "2023-11-14T22:14:00", "--json").out)
    assert [a["alert_id"] for a in later] == [a2.alert_id]
    result = cli("alerts", "show", "missing")
    assert result.code != 0 and "no alert with id 'missing'" in result.err
    result = cli("alerts", "list", "--since", "yesterday-ish")
    assert result.code != 0 and "neither a duration" in result.err
