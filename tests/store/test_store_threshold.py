"""A watchlist's target false-alert rate and the threshold that follows its size: stored
(migration 2), audited, carried in bundles, recomputed on every load, audited when it
changes, and warned about when fixed."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from pathlib import Path

import pytest
from store_helpers import MODEL, templates

from lfr.pipeline.gallery import load_watchlist
from lfr.pipeline.watchlists import WatchlistSet
from lfr.store import Store, StoreError
from lfr.store.audit import canonical_json
from lfr.store.db import DB_FILENAME
from lfr.store.schema import MIGRATIONS
from lfr.watchlist.bundle import export_bundle, import_bundle


def test_a_version_1_database_gets_the_default_target(home: Path) -> None:
    home.mkdir(parents=True, mode=0o700)
    conn = sqlite3.connect(home / DB_FILENAME)
    for statement in MIGRATIONS[0][1]:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO watchlists (name, threshold, created_at, updated_at, content_hash) "
        "VALUES ('old', NULL, 1, 1, 'x')"
    )
    conn.execute(
        "INSERT INTO runs (run_id, started_at, config_hash, cameras) VALUES ('r', 1, 'c', '[]')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store.open(home) as store:
        assert store.watchlists.get("old").target_fpir == 1e-4
        assert store.runs.get("r").passers_by == 0


def test_target_is_stored_audited_and_checked(store: Store) -> None:
    info = store.watchlists.create("wl", actor="t", target_fpir=1e-3)
    assert info.target_fpir == 1e-3
    assert store.audit.records(action_prefix="watchlist.create")[0].details["target_fpir"] == 1e-3
    store.watchlists.update("wl", actor="officer", target_fpir=1e-5)
    record = store.audit.records(action_prefix="watchlist.update")[-1]
    assert record.details["changes"] == {"target_fpir": 1e-5}
    assert record.details["previous"] == {"target_fpir": 1e-3}
    for bad in (0.0, 1.0, -1e-4, float("nan")):
        with pytest.raises(StoreError, match="target false-alert rate"):
            store.watchlists.update("wl", actor="t", target_fpir=bad)
    assert store.watchlists.get("wl").target_fpir == 1e-5


def test_the_threshold_follows_the_size_and_the_target(store: Store) -> None:
    wl = store.watchlists
    wl.create("wl", actor="t")
    wl.add_many("wl", [_identity(i) for i in range(10)], actor="t")
    small = load_watchlist(wl, "wl", MODEL)
    wl.add_many("wl", [_identity(i) for i in range(10, 1000)], actor="t")
    large = load_watchlist(wl, "wl", MODEL)
    assert small.threshold_source == large.threshold_source == "calibrated"
    assert large.threshold > small.threshold + 0.05
    assert large.expected_fpir == pytest.approx(1e-4, rel=1e-3)
    assert large.calibration is not None and large.calibration.size == 1000
    wl.update("wl", actor="t", target_fpir=1e-2)
    assert load_watchlist(wl, "wl", MODEL).threshold < large.threshold
    wl.update("wl", actor="t", threshold=0.363)
    fixed = load_watchlist(wl, "wl", MODEL)
    assert (fixed.threshold, fixed.threshold_source) == (0.363, "watchlist")
    assert fixed.expected_fpir is not None and fixed.expected_fpir > 0.5
    override = load_watchlist(wl, "wl", MODEL, threshold_override=0.6)
    assert (override.threshold, override.threshold_source) == (0.6, "override")


def test_reload_recomputes_audits_changes_and_warns_on_a_fixed_threshold(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    wl = store.watchlists
    wl.create("wl", actor="t")
    wl.add_many("wl", [_identity(i) for i in range(5)], actor="t")
    loaded = WatchlistSet(store, MODEL)
    assert loaded.load("wl").loaded
    first = loaded.get("wl")
    assert first is not None
    assert loaded.load("wl").loaded  # nothing changed: nothing new to record
    records = store.audit.records(action_prefix="watchlist.threshold")
    assert len(records) == 1 and records[0].details["threshold"] == first.threshold
    wl.add_many("wl", [_identity(i) for i in range(5, 500)], actor="t")
    outcome = loaded.load("wl")
    current = loaded.get("wl")
    assert current is not None and outcome.threshold == current.threshold > first.threshold
    records = store.audit.records(action_prefix="watchlist.threshold")
    assert len(records) == 2
    assert records[1].details["previous_threshold"] == first.threshold
    assert (
        records[1].details["size"] == 500 and records[1].details["threshold_source"] == "calibrated"
    )
    with caplog.at_level(logging.WARNING, logger="lfr.pipeline.watchlists"):
        fixed = WatchlistSet(store, MODEL, threshold_override=0.363)
        assert fixed.load("wl").loaded
    warning = next(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "0.363" in warning and "overridden" in warning and "per 1,000 passers-by" in warning
    assert fixed.describe()[0]["threshold_source"] == "override"


def test_target_travels_in_bundles(store: Store, tmp_path: Path) -> None:
    store.watchlists.create("op", actor="t", target_fpir=3e-5)
    store.watchlists.add("op", "p", templates(1), actor="t")
    bundle = tmp_path / "op.json"
    export_bundle(store, "op", bundle, actor="t")
    with Store.open(tmp_path / "host") as target:
        import_bundle(target, bundle, actor="t")
        assert target.watchlists.get("op").target_fpir == 3e-5
        # A bundle written before watchlists had a target imports with the default.
        envelope = json.loads(bundle.read_text())
        payload = json.loads(envelope["payload"])
        del payload["watchlist"]["target_fpir"]
        text = canonical_json(payload)
        envelope.update(payload=text, sha256=hashlib.sha256(text.encode()).hexdigest())
        old = tmp_path / "old.json"
        old.write_text(json.dumps(envelope))
        import_bundle(target, old, actor="t", name="op-old")
        assert target.watchlists.get("op-old").target_fpir == 1e-4


def _identity(i: int):  # -> IdentityUpdate
    from lfr.store.watchlists import IdentityUpdate

    return IdentityUpdate(f"id{i}", tuple(templates(1, seed=1000 + i)))


def test_report_states_size_target_threshold_and_false_alerts(store: Store) -> None:
    from lfr.store import AlertRecord
    from lfr.store.report import build_report, render_markdown

    wl = store.watchlists
    wl.create("wl", actor="t", target_fpir=1e-3)
    digest = wl.add_many("wl", [_identity(i) for i in range(1000)], actor="t")
    run = store.runs.start("cfg", ["gate"], {"wl": digest})
    store.runs.add_counts(run, faces_seen=40_000, passers_by=1000, frames=9000)
    for i, verdict in enumerate(("false", "false", "confirmed")):
        alert = store.alerts.record(
            AlertRecord("gate", 1e9 + i, "wl", digest, "id1", 0.6, 0.55, i, run_id=run)
        )
        store.alerts.adjudicate(alert.alert_id, verdict, actor="PC 1")
    store.runs.finish(run)
    report = build_report(store, "wl")
    meta = report["watchlist_details"]
    calibrated = load_watchlist(wl, "wl", MODEL).threshold
    assert (meta["identities"], meta["target_fpir"], meta["threshold_source"]) == (
        1000,
        1e-3,
        "calibrated",
    )
    assert meta["threshold"] == calibrated and meta["fixed_threshold"] is None
    fa = report["false_alerts"]
    assert fa["expected_per_1000_passers_by"] == pytest.approx(1.0, rel=1e-3)
    assert fa["expected_per_1000_faces"] == pytest.approx(1.0 * 1000 / 40_000, rel=1e-3)
    assert fa["observed_per_1000_passers_by"] == pytest.approx(2.0)
    assert fa["observed_per_1000_faces"] == pytest.approx(0.05)
    lo, hi = fa["observed_per_1000_passers_by_interval"]
    assert lo < 2.0 < hi
    md = render_markdown(report)
    assert "Target: at most 0.001 false alerts per passer-by" in md
    assert f"Threshold: {calibrated:.3f} (calibrated for the target at this size)" in md
    assert "Expected false alerts per 1,000 passers-by: 1 (95% interval" in md
    assert "Observed (officers' verdicts, 2 false): per 1,000 passers-by 2 (95% interval" in md
