"""Retention: alerts and their probe crops older than the configured number of days go, and
so do the alert log's lines about them (`lfr.store.alert_files`): every copy, one run.

Deletion is audited with counts per watchlist (never the deleted content), so the
transparency report can say how much was deleted and when. Secure-delete and a WAL checkpoint
make sure the bytes leave the file, not only the index.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lfr.store.alert_files import AlertLogFiles
from lfr.store.audit import AuditLog
from lfr.store.db import Database
from lfr.store.errors import StoreError

DEFAULT_ALERTS_DAYS = 31
_DAY = 86_400.0


@dataclass(frozen=True)
class RetentionResult:
    cutoff: float
    alerts: int
    crops: int
    by_watchlist: dict[str, int] = field(default_factory=dict)
    log_files: int = 0
    log_lines: int = 0


class Retention:
    def __init__(self, db: Database, audit: AuditLog, log: AlertLogFiles) -> None:
        self._db = db
        self._audit = audit
        self._log = log

    def purge_alerts(
        self,
        *,
        alerts_days: float = DEFAULT_ALERTS_DAYS,
        now: float | None = None,
        actor: str = "retention",
    ) -> RetentionResult:
        """Delete alerts (and crops) whose capture time is more than `alerts_days` ago."""
        if not alerts_days > 0:
            raise StoreError(f"retention.alerts_days must be > 0, got {alerts_days}")
        cutoff = (time.time() if now is None else now) - alerts_days * _DAY
        # The log copy goes first: if the database part then fails, the next run retries
        # it, and the alerts themselves are still there to be deleted and audited.
        logged = self._log.purge_before(cutoff)
        with self._db.transaction() as conn:
            by_watchlist = dict(
                conn.execute(
                    "SELECT watchlist, count(*) FROM alerts WHERE ts < ? GROUP BY watchlist",
                    (cutoff,),
                ).fetchall()
            )
            span = conn.execute(
                "SELECT min(seq), max(seq) FROM alerts WHERE ts < ?", (cutoff,)
            ).fetchone()
            crops = conn.execute(
                "DELETE FROM alert_crops WHERE seq IN (SELECT seq FROM alerts WHERE ts < ?)",
                (cutoff,),
            ).rowcount
            alerts = conn.execute("DELETE FROM alerts WHERE ts < ?", (cutoff,)).rowcount
            if alerts:
                self._db.deleted_biometrics()
            if alerts or logged.lines:
                self._audit.append(
                    "retention.alerts",
                    actor,
                    {
                        "cutoff": cutoff,
                        "alerts_days": alerts_days,
                        "alerts": alerts,
                        "crops": crops,
                        "by_watchlist": by_watchlist,
                        "seq_min": span[0],
                        "seq_max": span[1],
                        "log_files": logged.files,
                        "log_lines": logged.lines,
                    },
                )
        return RetentionResult(cutoff, alerts, crops, by_watchlist, logged.files, logged.lines)

    def deleted_for(self, watchlist: str) -> dict[str, int]:
        """Totals deleted by retention for one watchlist, read back from the audit trail."""
        total = 0
        for record in self._audit.records(action_prefix="retention.alerts"):
            total += int(record.details.get("by_watchlist", {}).get(watchlist, 0))
        return {"alerts": total}
