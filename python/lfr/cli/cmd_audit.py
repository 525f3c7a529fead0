"""`lfr audit ...`: verify the audit trail's hash chain, list its records."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lfr.cli.store_args import add_common, fmt_time, open_store

EXIT_CHAIN_BROKEN = 4


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="the audit trail")
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    p = sub.add_parser("verify", help="check the hash chain; non-zero exit if broken")
    add_common(p)
    p.set_defaults(func=_verify)

    p = sub.add_parser("list", help="list audit records")
    p.add_argument("--action", help="only actions starting with this (e.g. watchlist.)")
    p.add_argument("--since-seq", type=int, default=0)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--json", action="store_true")
    add_common(p)
    p.set_defaults(func=_list)


def _verify(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        verdict = store.audit.verify()
    if verdict.ok:
        print(f"audit trail ok: {verdict.records} record(s); head {verdict.head_hash}")
        return 0
    for problem in verdict.problems:
        print(f"lfr: audit: {problem}", file=sys.stderr)
    print(
        f"audit trail BROKEN: {len(verdict.problems)} problem(s) in {verdict.records} record(s)",
        file=sys.stderr,
    )
    return EXIT_CHAIN_BROKEN


def _list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        records = store.audit.records(
            action_prefix=args.action, since_seq=args.since_seq, limit=args.limit
        )
    if args.json:
        print(json.dumps([r.__dict__ for r in records], indent=2))
        return 0
    for r in records:
        print(
            f"{r.seq}\t{fmt_time(r.ts)}\t{r.actor}\t{r.action}\t"
            f"{json.dumps(r.details, sort_keys=True)}"
        )
    return 0
