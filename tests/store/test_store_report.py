"""Runs (numbers only about non-matches) and the transparency report built from them, the
alerts, the verdicts and the audit trail."""

from __future__ import annotations

import json

import pytest
from store_helpers import templates

from lfr.store import AlertRecord, Store, StoreError
from lfr.store.report import build_report, render_markdown

DAY = 86_400.0


def test_runs_count_and_audit_start_stop(store: Store) -> None:
    store.watchlists.create("wl", actor="t")
    digest = store.watchlists.add("wl", "p", templates(1), actor="t")
    run = store.runs.start("cfg-hash-1", ["cam1", "cam2"], ["wl"])
    store.runs.add_counts(
        run, faces_seen=10, templates_computed=8, templates_discarded=7, frames=100
    )
    store.runs.add_counts(run, faces_seen=5, templates_computed=5, templates_discarded=5)
    with pytest.raises(StoreError, match=">= 0"):
        store.runs.add_counts(run, faces_seen=-1)
    with pytest.raises(StoreError, match="no run"):
        store.runs.add_counts("nope", faces_seen=1)
    done = store.runs.finish(run)
    assert (done.faces_seen, done.templates_computed, done.templates_discarded, done.frames) == (
        15,
        13,
        12,
        100,
    )
    assert done.watchlists == {"wl": digest} and done.finished_at is not None
    with pytest.raises(StoreError, match="no open run"):
        store.runs.finish(run)
    start, stop = store.audit.records(action_prefix="daemon.")
    assert start.details["config_hash"] == "cfg-hash-1"
    assert start.details["watchlists"] == {"wl": digest}
    assert stop.details["faces_seen"] == 15 and stop.details["run_id"] == run


def test_report_numbers(store: Store, cli) -> None:
    store.watchlists.create(
        "wl",
        actor="t",
        purpose="find the missing",
        threshold=0.4,
        authorised_by="Supt A",
        legal_basis="s.17",
    )
    digest = store.watchlists.add("wl", "p1", templates(2), actor="t")
    store.watchlists.add("wl", "p2", templates(1, seed=5), actor="t")
    run = store.runs.start("cfg", ["gate-a"], {"wl": digest})
    store.runs.add_counts(
        run, faces_seen=2000, templates_computed=1500, templates_discarded=1496, frames=9000
    )
    ids = []
    for i in range(4):
        ids.append(
            store.alerts.record(
                AlertRecord("gate-a", 39 * DAY + i, "wl", digest, "p1", 0.5, 0.4, i, run_id=run)
            ).alert_id
        )
    store.alerts.record(AlertRecord("elsewhere", 1_000.0, "other", "x", "z", 0.5, 0.4, 1))
    store.alerts.adjudicate(ids[0], "confirmed", actor="PC 1")
    store.alerts.adjudicate(ids[1], "false", actor="PC 1")
    store.alerts.adjudicate(ids[2], "false", actor="PC 1")
    store.alerts.adjudicate(ids[3], "not-engaged", actor="PC 1")
    store.runs.finish(run)
    old = store.alerts.record(AlertRecord("gate-a", 10.0, "wl", digest, "p2", 0.5, 0.4, 9))
    assert old.seq > 0
    store.retention.purge_alerts(alerts_days=31, now=40 * DAY)
    report = build_report(store, "wl")
    assert report["faces_seen"] == 2000 and report["templates_discarded"] == 1496
    assert report["templates_computed"] == 1500 and report["frames"] == 9000
    assert report["alerts"] == 4 and report["cameras"] == ["gate-a"]
    assert report["verdicts"] == {"raised": 0, "confirmed": 1, "false": 2, "not-engaged": 1}
    assert report["false_alert_rate"] == pytest.approx(2 / 3)
    assert report["alerts_per_1000_faces"] == pytest.approx(2.0)
    assert report["deleted_by_retention"] == {"alerts": 1}
    meta = report["watchlist_details"]
    assert (meta["identities"], meta["templates"], meta["threshold"]) == (2, 3, 0.4)
    assert report["watchlist_changes"] == {"watchlist.create": 1, "watchlist.add": 2}
    md = render_markdown(report)
    assert "False-alert rate (false / (confirmed + false)): 66.7%" in md
    assert "Faces seen: 2000" in md and "Alerts deleted by retention: 1" in md
    assert "2 identities, 3 templates" in md
    via_cli = json.loads(cli("report", "wl", "--json").out)
    assert via_cli["verdicts"] == report["verdicts"] and via_cli["runs"] == 1
    result = cli("report", "wl", "--markdown")
    assert result.code == 0 and "# Transparency report: watchlist `wl`" in result.out


def test_report_survives_deleted_watchlist(store: Store) -> None:
    store.watchlists.create("gone", actor="t")
    run = store.runs.start("cfg", ["c"], ["gone"])
    store.runs.add_counts(run, faces_seen=3)
    store.runs.finish(run)
    store.watchlists.delete("gone", actor="t")
    report = build_report(store, "gone")
    assert report["watchlist_details"] is None and report["faces_seen"] == 3
    assert "no longer stored" in render_markdown(report)
