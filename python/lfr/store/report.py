"""The transparency report for one deployment (one watchlist): what ran, how many people were
scanned, what was alerted and what the officers found, and what retention deleted.

Built only from what the store holds (runs' counters, alerts, the audit trail), so it can be
reproduced by anyone with the database; run counters cover a whole run, so a run that used
several watchlists counts its faces once under each.
"""

from __future__ import annotations

import time
from typing import Any

from lfr.store.errors import WatchlistNotFound
from lfr.store.store import Store


def build_report(
    store: Store,
    watchlist: str,
    *,
    since: float | None = None,
    until: float | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    now = time.time() if now is None else now
    try:
        info = store.watchlists.get(watchlist)
        meta: dict[str, Any] | None = {
            "name": info.name,
            "purpose": info.purpose,
            "authorised_by": info.authorised_by,
            "legal_basis": info.legal_basis,
            "created_at": info.created_at,
            "expires_at": info.expires_at,
            "content_hash": info.content_hash,
            "identities": info.identities,
            "templates": info.templates,
            "model_ids": list(info.model_ids),
            "threshold": info.threshold,
        }
    except WatchlistNotFound:
        meta = None  # deleted or expired: the runs, alerts and audit trail still tell
    runs = [
        r
        for r in store.runs.for_watchlist(watchlist)
        if (since is None or (r.finished_at or now) >= since)
        and (until is None or r.started_at < until)
    ]
    alerts = store.alerts.query(watchlist=watchlist, since_ts=since, until_ts=until, limit=10**9)
    statuses = {s: 0 for s in ("raised", "confirmed", "false", "not-engaged")}
    for alert in alerts:
        statuses[alert.status] += 1
    judged = statuses["confirmed"] + statuses["false"]
    starts = [r.started_at for r in runs] + [a.ts for a in alerts]
    ends = [r.finished_at or now for r in runs] + [a.ts for a in alerts]
    thresholds = sorted({a.threshold for a in alerts})
    audit_counts: dict[str, int] = {}
    for record in store.audit.records(action_prefix="watchlist."):
        if record.details.get("watchlist") == watchlist:
            audit_counts[record.action] = audit_counts.get(record.action, 0) + 1
    faces = sum(r.faces_seen for r in runs)
    return {
        "watchlist": watchlist,
        "generated_at": now,
        "period": {
            "start": min(starts) if starts else None,
            "end": max(ends) if ends else None,
            "since": since,
            "until": until,
        },
        "watchlist_details": meta,
        "runs": len(runs),
        "cameras": sorted({c for r in runs for c in r.cameras} | {a.camera for a in alerts}),
        "config_hashes": sorted({r.config_hash for r in runs}),
        "faces_seen": faces,
        "frames": sum(r.frames for r in runs),
        "templates_computed": sum(r.templates_computed for r in runs),
        "templates_discarded": sum(r.templates_discarded for r in runs),
        "alerts": len(alerts),
        "verdicts": statuses,
        "false_alert_rate": statuses["false"] / judged if judged else None,
        "alerts_per_1000_faces": 1000 * len(alerts) / faces if faces else None,
        "thresholds_used": thresholds,
        "watchlist_changes": audit_counts,
        "deleted_by_retention": store.retention.deleted_for(watchlist),
        "stored_about_non_matches": "counts only; no template, crop or frame",
    }


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ts)) if ts is not None else "-"


def _rate(value: float | None) -> str:
    return f"{100 * value:.1f}%" if value is not None else "n/a (no verdicts)"


def render_markdown(report: dict[str, Any]) -> str:
    meta = report["watchlist_details"]
    v = report["verdicts"]
    lines = [
        f"# Transparency report: watchlist `{report['watchlist']}`",
        "",
        f"Generated {_when(report['generated_at'])}.",
        "",
        "## Deployment",
        "",
        f"- Period: {_when(report['period']['start'])} to {_when(report['period']['end'])}",
        f"- Runs: {report['runs']}; cameras: {', '.join(report['cameras']) or '-'}",
    ]
    if meta is None:
        lines.append("- Watchlist: no longer stored (deleted or expired)")
    else:
        threshold = meta["threshold"] if meta["threshold"] is not None else "model default"
        lines += [
            f"- Purpose: {meta['purpose'] or '-'}",
            f"- Authorised by: {meta['authorised_by'] or '-'}",
            f"- Legal basis: {meta['legal_basis'] or '-'}",
            f"- Expires: {_when(meta['expires_at'])}",
            f"- Watchlist size: {meta['identities']} identities, "
            f"{meta['templates']} templates (content hash `{meta['content_hash'][:16]}`)",
            f"- Threshold: {threshold}",
        ]
    if report["thresholds_used"]:
        lines.append(f"- Thresholds in alerts: {', '.join(map(str, report['thresholds_used']))}")
    lines += [
        "",
        "## Scanning",
        "",
        f"- Faces seen: {report['faces_seen']}",
        f"- Templates computed: {report['templates_computed']}; discarded at once "
        f"(no match): {report['templates_discarded']}",
        f"- Stored about people who matched nobody: {report['stored_about_non_matches']}",
        "",
        "## Alerts",
        "",
        f"- Alerts: {report['alerts']}",
        f"- Verdicts: confirmed {v['confirmed']}, false {v['false']}, not engaged "
        f"{v['not-engaged']}, awaiting {v['raised']}",
        f"- False-alert rate (false / (confirmed + false)): {_rate(report['false_alert_rate'])}",
        "",
        "## Data protection",
        "",
        f"- Alerts deleted by retention: {report['deleted_by_retention']['alerts']}",
        "- Watchlist changes (audited): "
        + (", ".join(f"{k} {n}" for k, n in sorted(report["watchlist_changes"].items())) or "-"),
        "",
    ]
    return "\n".join(lines)
