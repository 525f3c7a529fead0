"""Alerts and their verdicts.

An alert is committed before `record` returns, so it exists on disk before anyone is told
about it: a crash between the two loses a notification, never the record. `seq` comes from an
AUTOINCREMENT key, which SQLite never reuses, even after retention deletes the newest rows, so
subscribers can resume from the last seq they saw across daemon restarts.

`seq` orders the alert log by each alert's latest state: a revision (the track's evidence now
favours another identity) moves its alert to a new seq, so a subscriber resuming from any seq
receives every alert's latest state once, and `alert_id` stays the alert's one identity.
"""

from __future__ import annotations

import base64
import math
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from lfr.store.alert_revisions import AlertRevision, revise_alert
from lfr.store.audit import AuditLog
from lfr.store.db import Database
from lfr.store.errors import AlertNotFound, StoreError

VERDICTS = ("confirmed", "false", "not-engaged")
STATUSES = ("raised", *VERDICTS)
_ALIASES = {"false-alert": "false", "not_engaged": "not-engaged"}
MAX_CROP_BYTES = 512 * 1024

_COLUMNS = (
    "a.alert_id, a.seq, a.camera, a.ts, a.watchlist, a.watchlist_hash, a.identity, "
    "a.score, a.threshold, a.track_id, a.latency_ms, a.run_id, a.status, "
    "a.adjudicated_by, a.adjudicated_at, a.note, a.recorded_at, a.revision, "
    "a.previous_identity, a.revised_at, a.site, c.jpeg"
)
_FROM = "FROM alerts a LEFT JOIN alert_crops c ON c.seq = a.seq"


@dataclass(frozen=True)
class AlertRecord:
    """What the pipeline knows when it raises an alert."""

    camera: str
    ts: float
    watchlist: str
    watchlist_hash: str
    identity: str
    score: float
    threshold: float
    track_id: int
    crop_jpeg: bytes | None = None
    latency_ms: float | None = None
    run_id: str | None = None
    site: str | None = None  # the cluster site that raised it; None stand-alone


@dataclass(frozen=True)
class Alert:
    alert_id: str
    seq: int
    camera: str
    ts: float
    watchlist: str
    watchlist_hash: str
    identity: str
    score: float
    threshold: float
    track_id: int
    latency_ms: float | None
    run_id: str | None
    status: str
    adjudicated_by: str | None
    adjudicated_at: float | None
    note: str | None
    recorded_at: float
    revision: int = 0  # 0 as raised; 1, 2, ... each time the evidence moved to another identity
    previous_identity: str | None = None  # what the alert named before its latest revision
    revised_at: float | None = None  # capture time of the frame that revised it
    site: str | None = None  # the cluster site that raised it (lfr.cluster); None stand-alone
    crop_jpeg: bytes | None = field(default=None, repr=False)

    def as_dict(self, *, include_crop: bool = False) -> dict[str, Any]:
        """JSON-ready; the crop (when asked for) as base64."""
        data = asdict(self)
        crop = data.pop("crop_jpeg")
        data["has_crop"] = crop is not None
        if include_crop:
            data["crop_jpeg_b64"] = base64.b64encode(crop).decode("ascii") if crop else None
        return data


def normalise_verdict(verdict: str) -> str:
    value = _ALIASES.get(verdict, verdict)
    if value not in VERDICTS:
        raise StoreError(f"unknown verdict {verdict!r}: use one of {', '.join(VERDICTS)}")
    return value


class Alerts:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    def record(self, rec: AlertRecord) -> Alert:
        _validate(rec)
        alert_id, now = str(uuid.uuid4()), time.time()
        with self._db.transaction() as conn:
            seq = conn.execute(
                "INSERT INTO alerts (alert_id, run_id, camera, ts, watchlist, watchlist_hash, "
                "identity, score, threshold, track_id, latency_ms, recorded_at, site) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    alert_id,
                    rec.run_id,
                    rec.camera,
                    float(rec.ts),
                    rec.watchlist,
                    rec.watchlist_hash,
                    rec.identity,
                    float(rec.score),
                    float(rec.threshold),
                    int(rec.track_id),
                    rec.latency_ms,
                    now,
                    rec.site,
                ),
            ).lastrowid
            if rec.crop_jpeg is not None:
                conn.execute(
                    "INSERT INTO alert_crops (seq, jpeg) VALUES (?, ?)", (seq, bytes(rec.crop_jpeg))
                )
        return Alert(
            alert_id,
            int(seq or 0),
            rec.camera,
            float(rec.ts),
            rec.watchlist,
            rec.watchlist_hash,
            rec.identity,
            float(rec.score),
            float(rec.threshold),
            int(rec.track_id),
            rec.latency_ms,
            rec.run_id,
            "raised",
            None,
            None,
            None,
            now,
            site=rec.site,
            crop_jpeg=rec.crop_jpeg,
        )

    def revise(self, alert_id: str, rev: AlertRevision, actor: str = "tracker") -> Alert:
        """Revise an alert to name another identity (see `lfr.store.alert_revisions`)."""
        with self._db.transaction() as conn:
            revise_alert(conn, self._audit, _fetch(conn, alert_id), rev, actor)
        return self.get(alert_id)

    def get(self, alert_id: str) -> Alert:
        with self._db.read() as conn:
            return _fetch(conn, alert_id)

    def list_since(self, seq: int, limit: int = 1000) -> list[Alert]:
        """Alerts after `seq`, oldest first: what a subscriber missed."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} {_FROM} WHERE a.seq > ? ORDER BY a.seq LIMIT ?",
                (int(seq), int(limit)),
            ).fetchall()
        return [Alert(*r) for r in rows]

    def query(
        self,
        *,
        since_ts: float | None = None,
        until_ts: float | None = None,
        status: str | None = None,
        watchlist: str | None = None,
        limit: int = 1000,
    ) -> list[Alert]:
        clauses, params = ["1"], []
        for clause, value in (
            ("a.ts >= ?", since_ts),
            ("a.ts < ?", until_ts),
            ("a.watchlist = ?", watchlist),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if status is not None:
            status = "raised" if status == "raised" else normalise_verdict(status)
            clauses.append("a.status = ?")
            params.append(status)
        sql = f"SELECT {_COLUMNS} {_FROM} WHERE {' AND '.join(clauses)} ORDER BY a.seq LIMIT ?"
        with self._db.read() as conn:
            rows = conn.execute(sql, (*params, int(limit))).fetchall()
        return [Alert(*r) for r in rows]

    def count_since(self, since_ts: float) -> int:
        """How many alerts were captured at or after `since_ts` (e.g. "alerts today")."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT count(*) FROM alerts WHERE ts >= ?", (float(since_ts),)
            ).fetchone()
        return int(row[0])

    def last_seq(self) -> int:
        """The highest seq ever issued (deleted alerts included)."""
        with self._db.read() as conn:
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'alerts'").fetchone()
        return int(row[0]) if row else 0

    def adjudicate(
        self,
        alert_id: str,
        verdict: str,
        *,
        actor: str,
        on_behalf_of: str | None = None,
        note: str | None = None,
    ) -> Alert:
        """Record an officer's verdict. `actor` is who recorded it (the account or the
        connection, never a name the client merely claims); `on_behalf_of` the officer they
        recorded it for, when that is someone else. The alert shows the officer (else the
        actor); the audit record keeps both. A later verdict replaces an earlier one; both
        stay in the audit trail."""
        value = normalise_verdict(verdict)
        if not actor or not actor.strip():
            raise StoreError("a verdict needs the account that recorded it")
        officer = on_behalf_of.strip() if on_behalf_of and on_behalf_of.strip() else None
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT status, adjudicated_by FROM alerts WHERE alert_id = ?", (alert_id,)
            ).fetchone()
            if row is None:
                raise AlertNotFound(f"no alert with id {alert_id!r}")
            conn.execute(
                "UPDATE alerts SET status = ?, adjudicated_by = ?, adjudicated_at = ?,"
                " note = ? WHERE alert_id = ?",
                (value, officer or actor, time.time(), note, alert_id),
            )
            self._audit.append(
                "alert.adjudicate",
                actor,
                {
                    "alert_id": alert_id,
                    "verdict": value,
                    "previous": row[0],
                    "previous_by": row[1],
                    "note": note,
                },
                on_behalf_of=officer,
            )
        return self.get(alert_id)


def _fetch(conn: sqlite3.Connection, alert_id: str) -> Alert:
    row = conn.execute(f"SELECT {_COLUMNS} {_FROM} WHERE a.alert_id = ?", (alert_id,)).fetchone()
    if row is None:
        raise AlertNotFound(f"no alert with id {alert_id!r}")
    return Alert(*row)


def _validate(rec: AlertRecord) -> None:
    for name in ("camera", "watchlist", "watchlist_hash", "identity"):
        if not isinstance(getattr(rec, name), str) or not getattr(rec, name):
            raise StoreError(f"alert record: {name} must be a non-empty string")
    for name in ("ts", "score", "threshold"):
        if not math.isfinite(float(getattr(rec, name))):
            raise StoreError(f"alert record: {name} must be a finite number")
    if rec.crop_jpeg is not None and len(rec.crop_jpeg) > MAX_CROP_BYTES:
        raise StoreError(f"alert crop of {len(rec.crop_jpeg)} bytes exceeds {MAX_CROP_BYTES}")
