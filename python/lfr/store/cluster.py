"""What the cluster link keeps in the store: the outbox, the hub's copy of every site's alerts,
and the verdicts that travel back.

The edge's store is the outbox. Every alert state has a seq (a revision takes a new one), so
"what JetStream has not acknowledged yet" is one number, the highest seq acked: everything
above it is unsent, in the order it was persisted. The mark moves only after the publish ack,
so a crash between the two re-publishes an alert, which JetStream's de-duplication (the
message id) and the hub's idempotent ingest (alert id and revision) absorb.

At the hub, ingesting is idempotent on (alert id, revision): the same or an older state is a
no-op, a newer one replaces the row (a new seq, like a local revision). Verdicts recorded at
the hub are read back from its audit trail (the one record of who judged what, with the actor)
past the `verdicts_sent` mark; an edge applies each once, by the hub's audit seq.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lfr.store.alerts import _COLUMNS, _FROM, Alert, normalise_verdict
from lfr.store.errors import AlertNotFound, StoreError

if TYPE_CHECKING:
    from lfr.store.alerts import Alerts
    from lfr.store.db import Database

ALERTS_SENT = "alerts_sent"  # edge: highest alert seq JetStream acknowledged
VERDICTS_SENT = "verdicts_sent"  # hub: highest audit seq of a verdict sent to its site
VERDICTS_APPLIED = "verdicts_applied"  # edge: highest hub audit seq applied here

_INSERT = (
    "INSERT INTO alerts (alert_id, run_id, camera, ts, watchlist, watchlist_hash, identity, "
    "score, threshold, track_id, latency_ms, status, adjudicated_by, adjudicated_at, note, "
    "recorded_at, revision, previous_identity, revised_at, site) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class HubVerdict:
    """A verdict recorded at the hub, on its way to the site that raised the alert."""

    audit_seq: int
    site: str
    alert_id: str
    verdict: str
    actor: str
    on_behalf_of: str | None
    note: str | None


class ClusterLedger:
    def __init__(self, db: Database, alerts: Alerts) -> None:
        self._db = db
        self._alerts = alerts

    def mark(self, name: str) -> int:
        with self._db.read() as conn:
            return _mark(conn, name)

    def _set_mark(self, conn: sqlite3.Connection, name: str, value: int) -> None:
        conn.execute(
            "INSERT INTO cluster_marks (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
            (name, int(value)),
        )

    # --- edge: the outbox --------------------------------------------------------------------

    def outbox(self, limit: int = 100) -> list[Alert]:
        """Alert states not yet acknowledged by JetStream, oldest first, with their crops."""
        with self._db.read() as conn:
            sent = _mark(conn, ALERTS_SENT)
            rows = conn.execute(
                f"SELECT {_COLUMNS} {_FROM} WHERE a.seq > ? ORDER BY a.seq LIMIT ?",
                (sent, int(limit)),
            ).fetchall()
        return [Alert(*r) for r in rows]

    def pending(self) -> int:
        with self._db.read() as conn:
            sent = _mark(conn, ALERTS_SENT)
            row = conn.execute("SELECT count(*) FROM alerts WHERE seq > ?", (sent,)).fetchone()
        return int(row[0])

    def mark_sent(self, seq: int) -> None:
        """JetStream acknowledged every alert state up to `seq`."""
        with self._db.transaction() as conn:
            self._set_mark(conn, ALERTS_SENT, seq)

    # --- hub: ingest -------------------------------------------------------------------------

    def ingest(self, alert: Alert) -> Alert | None:
        """Store a site's alert state; None when this state (or a newer one) is already here.
        `alert.seq` and `recorded_at` are the edge's and are not kept: the hub numbers its
        own log."""
        if not alert.site:
            raise StoreError("an ingested alert needs the site that raised it")
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT revision, site FROM alerts WHERE alert_id = ?", (alert.alert_id,)
            ).fetchone()
            if row is not None:
                if row[1] != alert.site:
                    raise StoreError(
                        f"alert {alert.alert_id} came from {alert.site!r} but is {row[1]!r}'s"
                    )
                if row[0] >= alert.revision:
                    return None
                conn.execute("DELETE FROM alerts WHERE alert_id = ?", (alert.alert_id,))
                self._db.deleted_biometrics()  # the replaced crop leaves the disk too
            seq = conn.execute(_INSERT, _values(alert)).lastrowid
            if alert.crop_jpeg is not None:
                conn.execute(
                    "INSERT INTO alert_crops (seq, jpeg) VALUES (?, ?)", (seq, alert.crop_jpeg)
                )
        return self._alerts.get(alert.alert_id)

    # --- verdicts: hub to edge ---------------------------------------------------------------

    def verdicts_to_send(self, limit: int = 100) -> list[HubVerdict]:
        """Verdicts recorded here since the last one sent, on alerts some site raised."""
        with self._db.read() as conn:
            sent = _mark(conn, VERDICTS_SENT)
            rows = conn.execute(
                "SELECT seq, actor, on_behalf_of, details FROM audit "
                "WHERE action = 'alert.adjudicate' AND seq > ? ORDER BY seq LIMIT ?",
                (sent, int(limit)),
            ).fetchall()
            out = []
            for seq, actor, on_behalf_of, details in rows:
                info = json.loads(details)
                site = conn.execute(
                    "SELECT site FROM alerts WHERE alert_id = ?", (info["alert_id"],)
                ).fetchone()
                if site is None or site[0] is None:
                    continue  # a local alert, or gone by retention: nothing to send
                out.append(
                    HubVerdict(
                        seq,
                        site[0],
                        info["alert_id"],
                        info["verdict"],
                        actor,
                        on_behalf_of,
                        info.get("note"),
                    )
                )
            last = rows[-1][0] if rows else sent
        return out if out or last == sent else self._skip_to(last)

    def _skip_to(self, last: int) -> list[HubVerdict]:
        """A batch held only local verdicts: move past them, nothing to send."""
        self.mark_verdicts_sent(last)
        return self.verdicts_to_send()

    def mark_verdicts_sent(self, audit_seq: int) -> None:
        with self._db.transaction() as conn:
            self._set_mark(conn, VERDICTS_SENT, audit_seq)

    def apply_verdict(self, verdict: HubVerdict, *, actor: str) -> bool:
        """Record the hub's verdict here, once (by the hub's audit seq). False when it was
        applied before, or the alert is no longer here (retention)."""
        normalise_verdict(verdict.verdict)
        with self._db.transaction() as conn:
            if _mark(conn, VERDICTS_APPLIED) >= verdict.audit_seq:
                return False
            self._set_mark(conn, VERDICTS_APPLIED, verdict.audit_seq)
            try:
                self._alerts.adjudicate(
                    verdict.alert_id,
                    verdict.verdict,
                    actor=actor,
                    on_behalf_of=verdict.on_behalf_of,
                    note=verdict.note,
                )
            except AlertNotFound:
                return False
        return True


def _mark(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT value FROM cluster_marks WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def _values(a: Alert) -> tuple[object, ...]:
    return (
        a.alert_id,
        a.run_id,
        a.camera,
        a.ts,
        a.watchlist,
        a.watchlist_hash,
        a.identity,
        a.score,
        a.threshold,
        a.track_id,
        a.latency_ms,
        a.status,
        a.adjudicated_by,
        a.adjudicated_at,
        a.note,
        a.recorded_at,
        a.revision,
        a.previous_identity,
        a.revised_at,
        a.site,
    )
