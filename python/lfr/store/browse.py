"""Read-only queries for people browsing the store (the operator console): alerts by filter,
newest first, a page at a time; an identity's enrolled photos; an alert's audit records; the
audit trail by filter.

Pages are keyed by seq (`before_seq`), not offsets: a page stays the same while new alerts
arrive, and reading page 50 costs what reading page 1 does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lfr.store.alerts import _COLUMNS, _FROM, Alert, normalise_verdict
from lfr.store.audit import AuditRecord
from lfr.store.errors import IdentityNotFound
from lfr.store.store import Store

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class AlertFilter:
    camera: str | None = None
    watchlist: str | None = None
    status: str | None = None  # "raised" (awaiting a verdict) or a verdict
    since_ts: float | None = None
    until_ts: float | None = None
    before_seq: int | None = None  # the page after the one that ended at this seq
    limit: int = 50


def search_alerts(store: Store, f: AlertFilter) -> list[Alert]:
    """Alerts matching every given filter, newest (highest seq) first."""
    clauses: list[str] = ["1"]
    params: list[Any] = []
    status = None
    if f.status is not None:
        status = "raised" if f.status == "raised" else normalise_verdict(f.status)
    for clause, value in (
        ("a.camera = ?", f.camera),
        ("a.watchlist = ?", f.watchlist),
        ("a.status = ?", status),
        ("a.ts >= ?", f.since_ts),
        ("a.ts < ?", f.until_ts),
        ("a.seq < ?", f.before_seq),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    limit = max(1, min(int(f.limit), MAX_PAGE))
    sql = f"SELECT {_COLUMNS} {_FROM} WHERE {' AND '.join(clauses)} ORDER BY a.seq DESC LIMIT ?"
    with store.db.read() as conn:
        rows = conn.execute(sql, (*params, limit)).fetchall()
    return [Alert(*r) for r in rows]


def alert_facets(store: Store) -> dict[str, list[str]]:
    """The cameras and watchlists alerts were raised on, for the history's filter menus."""
    with store.db.read() as conn:
        cameras = [r[0] for r in conn.execute("SELECT DISTINCT camera FROM alerts ORDER BY 1")]
        lists = [r[0] for r in conn.execute("SELECT DISTINCT watchlist FROM alerts ORDER BY 1")]
    return {"cameras": cameras, "watchlists": lists}


def identity_photos(store: Store, watchlist: str, identity_id: str) -> list[bytes]:
    """The enrolled photos (aligned thumbnails) of one identity, in enrolment order."""
    with store.db.read() as conn:
        found = conn.execute(
            "SELECT i.id FROM identities i JOIN watchlists w ON w.id = i.watchlist_id "
            "WHERE w.name = ? AND i.identity_id = ?",
            (watchlist, identity_id),
        ).fetchone()
        if found is None:
            raise IdentityNotFound(f"no identity {identity_id!r} in watchlist {watchlist!r}")
        rows = conn.execute(
            "SELECT thumbnail_jpeg FROM templates WHERE identity_pk = ? "
            "AND thumbnail_jpeg IS NOT NULL ORDER BY id",
            (found[0],),
        ).fetchall()
    return [bytes(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action_prefix: str | None = None
    actor: str | None = None
    alert_id: str | None = None
    before_seq: int | None = None
    limit: int = 100


def search_audit(store: Store, f: AuditFilter) -> list[AuditRecord]:
    """Audit records matching every given filter, newest first."""
    clauses: list[str] = ["1"]
    params: list[Any] = []
    if f.action_prefix:
        escaped = f.action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("action LIKE ? ESCAPE '\\'")
        params.append(escaped + "%")
    for clause, value in (
        ("actor = ?", f.actor),
        ("json_extract(details, '$.alert_id') = ?", f.alert_id),
        ("seq < ?", f.before_seq),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    limit = max(1, min(int(f.limit), MAX_PAGE))
    with store.db.read() as conn:
        seqs = [
            r[0]
            for r in conn.execute(
                f"SELECT seq FROM audit WHERE {' AND '.join(clauses)} ORDER BY seq DESC LIMIT ?",
                (*params, limit),
            )
        ]
    if not seqs:
        return []
    wanted = set(seqs)
    span = store.audit.records(since_seq=min(seqs) - 1, limit=max(seqs) - min(seqs) + 1)
    return sorted((r for r in span if r.seq in wanted), key=lambda r: -r.seq)


def audit_actions(store: Store) -> list[str]:
    with store.db.read() as conn:
        return [r[0] for r in conn.execute("SELECT DISTINCT action FROM audit ORDER BY 1")]


def record_json(record: AuditRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "ts": record.ts,
        "action": record.action,
        "actor": record.actor,
        "on_behalf_of": record.on_behalf_of,
        "details": record.details,
        "hash": record.hash,
    }
