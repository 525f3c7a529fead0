"""`lfr alerts ...`: list and inspect alerts, record officers' verdicts, apply retention."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from lfr.cli.store_args import actor, add_common, fmt_time, open_store, parse_since
from lfr.store import VERDICTS
from lfr.store.retention import DEFAULT_ALERTS_DAYS


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("alerts", help="alerts and verdicts")
    sub = parser.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)

    p = sub.add_parser("list", help="list alerts, oldest first")
    p.add_argument("--since", help="duration ago (e.g. 2h) or ISO date")
    p.add_argument("--until", help="duration ago or ISO date")
    p.add_argument("--status", choices=("raised", *VERDICTS))
    p.add_argument("--watchlist")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--json", action="store_true")
    _leaf(p, _list)

    p = sub.add_parser("show", help="show one alert")
    p.add_argument("alert_id")
    p.add_argument("--json", action="store_true")
    p.add_argument("--crop", type=Path, help="write the probe crop (JPEG) to this file")
    _leaf(p, _show)

    p = sub.add_parser("adjudicate", help="record an officer's verdict")
    p.add_argument("alert_id")
    p.add_argument("--verdict", required=True, choices=VERDICTS)
    p.add_argument(
        "--by",
        help="the officer you record it for, when not yourself (audited as on_behalf_of; "
        "you are the actor: $LFR_ACTOR or your login)",
    )
    p.add_argument("--note")
    _leaf(p, _adjudicate)

    p = sub.add_parser("purge", help="delete alerts older than the retention period")
    p.add_argument(
        "--days",
        type=float,
        default=DEFAULT_ALERTS_DAYS,
        help=f"retention.alerts_days (default {DEFAULT_ALERTS_DAYS})",
    )
    _leaf(p, _purge)


def _leaf(parser: argparse.ArgumentParser, func: Any) -> None:
    add_common(parser)
    parser.set_defaults(func=func)


def _list(args: argparse.Namespace) -> int:
    now = time.time()
    with open_store(args) as store:
        alerts = store.alerts.query(
            since_ts=parse_since(args.since, now) if args.since else None,
            until_ts=parse_since(args.until, now) if args.until else None,
            status=args.status,
            watchlist=args.watchlist,
            limit=args.limit,
        )
    if args.json:
        print(json.dumps([a.as_dict() for a in alerts], indent=2))
        return 0
    for a in alerts:
        print(
            f"{a.seq}\t{a.alert_id}\t{fmt_time(a.ts)}\t{a.camera}\t{a.watchlist}\t"
            f"{a.identity}\t{a.score:.3f}\t{a.status}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        alert = store.alerts.get(args.alert_id)
    if args.crop is not None and alert.crop_jpeg:
        args.crop.write_bytes(alert.crop_jpeg)
    if args.json:
        print(json.dumps(alert.as_dict(), indent=2))
        return 0
    for key, value in alert.as_dict().items():
        shown = fmt_time(value) if key in ("ts", "adjudicated_at", "recorded_at") else value
        print(f"{key}: {shown}")
    return 0


def _adjudicate(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        alert = store.alerts.adjudicate(
            args.alert_id, args.verdict, actor=actor(args), on_behalf_of=args.by, note=args.note
        )
    print(f"alert {alert.alert_id}: {alert.status} by {alert.adjudicated_by}")
    return 0


def _purge(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        result = store.retention.purge_alerts(alerts_days=args.days, actor=actor(args))
    print(
        f"deleted {result.alerts} alert(s), {result.crops} crop(s) and {result.log_lines} "
        f"alert log line(s) captured before {fmt_time(result.cutoff)}"
    )
    return 0
