"""Passers-by (the tracks a camera's tracker started) reach the run record, so the
transparency report's per-passer-by rates have their denominator."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from pipeline_helpers import json_lines, run_lfr


def test_a_scan_counts_its_passers_by_for_the_report(home: Path, hamilton_clip: Path) -> None:
    proc = run_lfr(["scan", str(hamilton_clip), "--watchlist", "wl", "--json"], home)
    assert proc.returncode == 0, proc.stderr
    [alert] = json_lines(proc.stdout)
    summary = json_lines(proc.stderr)[-1]
    with sqlite3.connect(home / "lfr.db") as db:
        (passers_by,) = db.execute("SELECT passers_by FROM runs").fetchone()
    # Each person on screen is a track: a few dozen faces per track on this clip, at least
    # one track (his), never more tracks than faces.
    assert 1 <= passers_by < summary["faces"] / 5, (passers_by, summary["faces"])
    judged = run_lfr(
        ["alerts", "adjudicate", alert["alert_id"], "--verdict", "false", "--by", "officer-1"],
        home,
    )
    assert judged.returncode == 0, judged.stderr
    report = run_lfr(["report", "wl", "--json"], home)
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["passers_by"] == passers_by
    rates = data["false_alerts"]
    assert rates["observed_per_1000_passers_by"] == 1000 / passers_by
    assert rates["expected_per_1000_faces"] is not None
