"""`lfr scan` end to end on the real sample clips, real models, real store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline_helpers import json_lines, run_lfr

from lfr.pipeline.summary import format_summary

SUMMARY_KEYS = {
    "frames_decoded",
    "frames_analysed",
    "frames_dropped",
    "faces",
    "templates",
    "alerts",
    "revisions",
    "fps",
    "latency_ms",
    "time_to_alert_s",
}


def test_hamilton_clip_raises_exactly_one_alert_for_him(home: Path, hamilton_clip: Path) -> None:
    clip = hamilton_clip
    proc = run_lfr(["scan", str(clip), "--watchlist", "wl", "--json"], home)
    assert proc.returncode == 0, proc.stderr
    alerts = json_lines(proc.stdout)
    assert [a["identity"] for a in alerts] == ["lin-manuel-miranda"], proc.stdout
    alert = alerts[0]
    assert {"alert_id", "identity", "score", "track_id", "camera", "ts"} <= set(alert)
    assert alert["score"] >= alert["threshold"]
    # He is on screen from about 3.3 s: the alert's media time must be after that.
    summary = json_lines(proc.stderr)[-1]
    assert set(summary) >= SUMMARY_KEYS
    assert summary["frames_decoded"] == summary["frames_analysed"] >= 270  # every frame
    assert summary["frames_dropped"] == 0
    assert (summary["alerts"], summary["revisions"]) == (1, 0)
    # The tracker spares the embedder: templates for under a fifth of the faces.
    assert 0 < summary["templates"] < summary["faces"] / 5, summary
    # Decided from fused templates within a few frames of his track's first (today: 0.1 s;
    # single-template alerts took 0.067 s, and the fused decision may take at most 1 s more).
    tta = summary["time_to_alert_s"]
    assert 0 < tta["p50"] <= tta["p99"] <= 1.067, tta
    assert f"time to alert (a track's first frame to its alert): p50 {tta['p50']:.2f} s" in (
        format_summary(summary)
    )
    # The alert was persisted with its crop, and the run recorded.
    with sqlite3.connect(home / "lfr.db") as db:
        assert db.execute("SELECT identity FROM alerts").fetchall() == [("lin-manuel-miranda",)]
        assert db.execute("SELECT count(*) FROM alert_crops").fetchone()[0] == 1
        assert db.execute("SELECT faces_seen FROM runs").fetchone()[0] == summary["faces"]


def test_crowd_clip_raises_nothing_and_leaves_no_biometric_data(
    home: Path, crowd_clip: Path
) -> None:
    with sqlite3.connect(home / "lfr.db") as db:
        enrolled = db.execute("SELECT count(*) FROM templates").fetchone()[0]
    before = {p.name for p in home.iterdir()}
    proc = run_lfr(["scan", str(crowd_clip), "--watchlist", "wl", "--json"], home)
    assert proc.returncode == 0, proc.stderr
    assert json_lines(proc.stdout) == []
    summary = json_lines(proc.stderr)[-1]
    assert summary["alerts"] == 0 and summary["faces"] > 50 and summary["templates"] > 0
    assert summary["templates"] < summary["faces"] / 5, summary
    assert summary["time_to_alert_s"] == {}, "no alert, no time to alert"
    # Nothing about the passers-by exists on disk: no new files, no alert, no crop, no new
    # template; only counters in the run record.
    assert {p.name for p in home.iterdir()} - before <= {"lfr.db-wal", "lfr.db-shm"}
    with sqlite3.connect(home / "lfr.db") as db:
        assert db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM alert_crops").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM templates").fetchone()[0] == enrolled
        run = db.execute(
            "SELECT faces_seen, templates_computed, templates_discarded FROM runs"
        ).fetchone()
    assert run == (summary["faces"], summary["templates"], summary["templates"])


def test_scan_of_a_missing_file_fails_clearly(lin_home: Path, tmp_path: Path) -> None:
    proc = run_lfr(["scan", str(tmp_path / "nope.mp4"), "--watchlist", "wl"], lin_home)
    assert proc.returncode != 0
    assert "nope.mp4" in proc.stderr and "Traceback" not in proc.stderr


def test_scan_of_an_unknown_watchlist_fails_clearly(lin_home: Path, hamilton_clip: Path) -> None:
    clip = hamilton_clip
    proc = run_lfr(["scan", str(clip), "--watchlist", "nobody"], lin_home)
    assert proc.returncode != 0
    assert "nobody" in proc.stderr and "Traceback" not in proc.stderr


def test_realtime_scan_with_an_fps_cap_analyses_at_the_cap(home: Path, hamilton_clip: Path) -> None:
    proc = run_lfr(
        ["scan", str(hamilton_clip), "--watchlist", "wl", "--json", "--realtime", "--fps", "5"],
        home,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json_lines(proc.stderr)[-1]
    # 9.2 s of clip at a 5 fps cap: about 46 frames analysed, the rest skipped and counted.
    assert 35 <= summary["frames_analysed"] <= 50, summary
    assert summary["frames_decoded"] == 275
    assert summary["frames_dropped"] >= 275 - 50
    assert [a["identity"] for a in json_lines(proc.stdout)] == ["lin-manuel-miranda"]


def test_a_scan_whose_analysis_crashes_fails_with_the_error(
    home: Path, hamilton_clip: Path, monkeypatch, capsys
) -> None:
    """The scan runs under the daemon's supervisor: a crash is not retried from the file's
    start but ends the scan with one line naming the camera and the crash, and the run is
    still closed."""
    from lfr.cli.admin import main
    from lfr.pipeline.analysis import FrameAnalysis

    def crash(self, ctx, frame, found):
        raise RuntimeError("analysis bug")

    monkeypatch.setenv("LFR_HOME", str(home))
    monkeypatch.setattr(FrameAnalysis, "decide", crash)
    code = main(["scan", str(hamilton_clip), "--watchlist", "wl", "--camera", "clip"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "camera:clip" in err and "RuntimeError: analysis bug" in err, err
    assert "Traceback" not in err
    with sqlite3.connect(home / "lfr.db") as db:
        assert db.execute("SELECT count(*) FROM runs WHERE finished_at IS NULL").fetchone()[0] == 0
