"""Alert revisions: a track raises at most one alert; when its evidence later favours another
identity, that alert is revised rather than a second one raised.

The revised alert keeps its alert_id, time, camera, track, run and latency, takes the next
revision number, remembers the identity it named before, and moves to the end of the alert log
(a new seq): subscribers resuming from any seq then receive every alert's latest state once. A
verdict given for the previous identity no longer applies, so the status returns to "raised";
the audit trail (`alert.revise`) keeps both.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lfr.store.errors import StoreError

if TYPE_CHECKING:
    from lfr.store.alerts import Alert
    from lfr.store.audit import AuditLog


@dataclass(frozen=True)
class AlertRevision:
    """What the pipeline knows when a track's alert moves to another identity."""

    identity: str
    score: float
    threshold: float
    watchlist_hash: str
    ts: float  # capture time of the frame that revised it
    crop_jpeg: bytes | None = None  # the face that tipped it; None keeps the alert's crop


def revise_alert(
    conn: sqlite3.Connection, audit: AuditLog, old: Alert, rev: AlertRevision, actor: str
) -> None:
    """Replace `old` by its next revision inside the caller's transaction."""
    _check_revision(rev)
    alert_id = old.alert_id
    conn.execute("DELETE FROM alerts WHERE alert_id = ?", (alert_id,))
    seq = conn.execute(
        "INSERT INTO alerts (alert_id, run_id, camera, ts, watchlist, watchlist_hash, "
        "identity, score, threshold, track_id, latency_ms, recorded_at, revision, "
        "previous_identity, revised_at, site) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            alert_id,
            old.run_id,
            old.camera,
            old.ts,
            old.watchlist,
            rev.watchlist_hash,
            rev.identity,
            float(rev.score),
            float(rev.threshold),
            old.track_id,
            old.latency_ms,
            old.recorded_at,
            old.revision + 1,
            old.identity,
            float(rev.ts),
            old.site,
        ),
    ).lastrowid
    crop = rev.crop_jpeg if rev.crop_jpeg is not None else old.crop_jpeg
    if crop is not None:
        conn.execute("INSERT INTO alert_crops (seq, jpeg) VALUES (?, ?)", (seq, bytes(crop)))
    audit.append(
        "alert.revise",
        actor,
        {
            "alert_id": alert_id,
            "revision": old.revision + 1,
            "identity": rev.identity,
            "previous_identity": old.identity,
            "score": round(float(rev.score), 4),
            "threshold": float(rev.threshold),
            "camera": old.camera,
            "track_id": old.track_id,
            "previous_status": old.status,
        },
    )


def _check_revision(rev: AlertRevision) -> None:
    from lfr.store.alerts import MAX_CROP_BYTES  # the one limit (alerts imports this module)

    if not isinstance(rev.identity, str) or not rev.identity:
        raise StoreError("alert revision: identity must be a non-empty string")
    for name in ("ts", "score", "threshold"):
        if not math.isfinite(float(getattr(rev, name))):
            raise StoreError(f"alert revision: {name} must be a finite number")
    if rev.crop_jpeg is not None and len(rev.crop_jpeg) > MAX_CROP_BYTES:
        raise StoreError(f"alert crop of {len(rev.crop_jpeg)} bytes exceeds {MAX_CROP_BYTES}")
