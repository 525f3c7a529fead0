"""The transparency report for one deployment (one watchlist): what ran, how many people were
scanned, what was alerted and what the officers found, and what retention deleted.

Built only from what the store holds (runs' counters, alerts, the audit trail), so it can be
reproduced by anyone with the database; run counters cover a whole run, so a run that used
several watchlists counts its faces once under each.

False alerts are stated twice: as expected from the watchlist's threshold at its size (the
calibration, per passer-by, i.e. per track), and as observed from the officers' verdicts.
Published evaluations count per face seen, so both are also given per 1,000 faces, using the
run's own ratio of passers-by to faces.
"""

from __future__ import annotations

import time
from typing import Any

from lfr.calibration import per_thousand
from lfr.calibration.binomial import clopper_pearson
from lfr.errors import LfrError
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
    calibration = None
    meta: dict[str, Any] | None
    try:
        info = store.watchlists.get(watchlist)
        details: dict[str, Any] = {
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
            "target_fpir": info.target_fpir,
            "fixed_threshold": info.threshold,
        }
        try:
            calibration = info.calibration()
        except LfrError as exc:
            details["calibration_error"] = str(exc)
        details.update(calibration.as_dict() if calibration else {"threshold": info.threshold})
        meta = details
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
    passers_by = sum(r.passers_by for r in runs)
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
        "passers_by": passers_by,
        "frames": sum(r.frames for r in runs),
        "templates_computed": sum(r.templates_computed for r in runs),
        "templates_discarded": sum(r.templates_discarded for r in runs),
        "alerts": len(alerts),
        "verdicts": statuses,
        "false_alert_rate": statuses["false"] / judged if judged else None,
        "alerts_per_1000_faces": 1000 * len(alerts) / faces if faces else None,
        "false_alerts": _false_alerts(calibration, statuses["false"], passers_by, faces),
        "thresholds_used": thresholds,
        "watchlist_changes": audit_counts,
        "deleted_by_retention": store.retention.deleted_for(watchlist),
        "stored_about_non_matches": "counts only; no template, crop or frame",
    }


def _false_alerts(calibration: Any, false: int, passers_by: int, faces: int) -> dict[str, Any]:
    """Expected (calibration) and observed (verdicts) false alerts per 1,000 passers-by and
    per 1,000 faces seen; None where a count it needs is missing."""
    expected = calibration.expected_fpir if calibration is not None else None
    per_face = passers_by / faces if passers_by and faces else None

    def scaled(rate: float | None, factor: float | None = 1.0) -> float | None:
        return None if rate is None or factor is None else 1000.0 * rate * factor

    out: dict[str, Any] = {
        "expected_per_1000_passers_by": scaled(expected.value if expected else None),
        "expected_per_1000_passers_by_interval": (
            [scaled(expected.low), scaled(expected.high)] if expected else None
        ),
        "expected_extrapolated": expected.extrapolated if expected else None,
        "expected_per_1000_faces": scaled(expected.value if expected else None, per_face),
        "false_verdicts": false,
        "observed_per_1000_passers_by": None,
        "observed_per_1000_passers_by_interval": None,
        "observed_per_1000_faces": None,
        "observed_per_1000_faces_interval": None,
    }
    for unit, n in (("passers_by", passers_by), ("faces", faces)):
        if n:
            low, high = clopper_pearson(min(false, n), n)
            out[f"observed_per_1000_{unit}"] = 1000.0 * false / n
            out[f"observed_per_1000_{unit}_interval"] = [1000.0 * low, 1000.0 * high]
    return out


def _per_1000(value: float | None, interval: list[float | None] | None = None) -> str:
    if value is None:
        return "n/a"
    text = per_thousand(value / 1000.0)
    if interval and None not in interval:
        lo, hi = (per_thousand(float(v) / 1000.0) for v in interval)  # type: ignore[arg-type]
        text += f" (95% interval {lo} to {hi})"
    return text


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ts)) if ts is not None else "-"


def _rate(value: float | None) -> str:
    return f"{100 * value:.1f}%" if value is not None else "n/a (no verdicts)"


def _threshold_line(meta: dict[str, Any]) -> str:
    if meta.get("threshold") is None:
        return "not known (" + str(meta.get("calibration_error", "no calibration")) + ")"
    how = {
        "calibrated": "calibrated for the target at this size",
        "watchlist": "fixed on the watchlist, not calibrated",
    }.get(str(meta.get("threshold_source")), "fixed")
    return f"{meta['threshold']:.3f} ({how})"


def _false_alert_lines(report: dict[str, Any]) -> list[str]:
    fa = report["false_alerts"]
    extrapolated = ", extrapolated beyond the reference data" if fa["expected_extrapolated"] else ""
    return [
        f"- Passers-by (tracks): {report['passers_by'] or 'not counted'}",
        "- Expected false alerts per 1,000 passers-by: "
        + _per_1000(fa["expected_per_1000_passers_by"], fa["expected_per_1000_passers_by_interval"])
        + extrapolated,
        "- Expected false alerts per 1,000 faces seen: " + _per_1000(fa["expected_per_1000_faces"]),
        f"- Observed (officers' verdicts, {fa['false_verdicts']} false): per 1,000 passers-by "
        + _per_1000(fa["observed_per_1000_passers_by"], fa["observed_per_1000_passers_by_interval"])
        + "; per 1,000 faces seen "
        + _per_1000(fa["observed_per_1000_faces"], fa["observed_per_1000_faces_interval"]),
    ]


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
        threshold = _threshold_line(meta)
        lines += [
            f"- Purpose: {meta['purpose'] or '-'}",
            f"- Authorised by: {meta['authorised_by'] or '-'}",
            f"- Legal basis: {meta['legal_basis'] or '-'}",
            f"- Expires: {_when(meta['expires_at'])}",
            f"- Watchlist size: {meta['identities']} identities, "
            f"{meta['templates']} templates (content hash `{meta['content_hash'][:16]}`)",
            f"- Target: at most {meta['target_fpir']:g} false alerts per passer-by",
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
        *_false_alert_lines(report),
        "",
        "## Data protection",
        "",
        f"- Alerts deleted by retention: {report['deleted_by_retention']['alerts']}",
        "- Watchlist changes (audited): "
        + (", ".join(f"{k} {n}" for k, n in sorted(report["watchlist_changes"].items())) or "-"),
        "",
    ]
    return "\n".join(lines)
