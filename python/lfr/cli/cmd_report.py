"""`lfr report WATCHLIST`: the transparency report for a deployment."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from lfr.cli.store_args import add_common, open_store, parse_since


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("report", help="transparency report for a watchlist")
    p.add_argument("watchlist")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--markdown", action="store_true", help="(the default)")
    p.add_argument("--since", help="duration ago (e.g. 7d) or ISO date")
    p.add_argument("--until", help="duration ago or ISO date")
    add_common(p)
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from lfr.store.report import build_report, render_markdown

    now = time.time()
    with open_store(args) as store:
        report = build_report(
            store,
            args.watchlist,
            since=parse_since(args.since, now) if args.since else None,
            until=parse_since(args.until, now) if args.until else None,
            now=now,
        )
    print(json.dumps(report, indent=2) if args.json else render_markdown(report))
    return 0
