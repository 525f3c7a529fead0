"""`lfr audit ...`: verify the sealed audit trail (against exported heads too), list its
records, export the head, rotate the sealing key."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lfr.cli.store_args import actor, add_common, fmt_time, open_store
from lfr.store.audit import ExpectedHead
from lfr.store.audit_head import read_head_log

EXIT_CHAIN_BROKEN = 4


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="the audit trail")
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    p = sub.add_parser("verify", help="check every seal; non-zero exit if broken")
    p.add_argument(
        "--expect-head",
        action="append",
        default=[],
        metavar="HASH",
        help="a head exported earlier, which must still be in the trail (repeatable)",
    )
    p.add_argument(
        "--head-log",
        type=Path,
        help="an exported audit.head.log (a shipped copy): every head in it must be found",
    )
    add_common(p)
    p.set_defaults(func=_verify)

    p = sub.add_parser("list", help="list audit records")
    p.add_argument("--action", help="only actions starting with this (e.g. watchlist.)")
    p.add_argument("--since-seq", type=int, default=0)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--json", action="store_true")
    add_common(p)
    p.set_defaults(func=_list)

    p = sub.add_parser("export-head", help="append the current head to audit.head.log")
    add_common(p)
    p.set_defaults(func=_export_head)

    p = sub.add_parser(
        "rotate-key", help="seal the trail under a new key (recorded; the old key is retired)"
    )
    add_common(p)
    p.set_defaults(func=_rotate_key)


def _verify(args: argparse.Namespace) -> int:
    expected = [ExpectedHead(h.strip().lower()) for h in args.expect_head]
    with open_store(args) as store:
        if args.head_log is not None:
            expected += read_head_log(args.head_log, store_id=store.store_id)
        verdict = store.audit.verify(expected)
    key = f"key {verdict.key_fingerprint or '-'} ({verdict.key_file})"
    for note in verdict.notes:
        print(f"audit: {note}")
    if verdict.ok:
        print(
            f"audit trail ok: {verdict.records} record(s); head {verdict.head_hash} "
            f"(record {verdict.head_seq}); {key}"
        )
        return 0
    for problem in verdict.problems:
        print(f"lfr: audit: {problem}", file=sys.stderr)
    print(
        f"audit trail BROKEN: {len(verdict.problems)} problem(s) in {verdict.records} "
        f"record(s); {key}",
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
        who = f"{r.actor} for {r.on_behalf_of}" if r.on_behalf_of else r.actor
        print(
            f"{r.seq}\t{fmt_time(r.ts)}\t{who}\t{r.action}\t{json.dumps(r.details, sort_keys=True)}"
        )
    return 0


def _export_head(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        line = store.export_head("export")
        path = store.head_log
    print(f"record {line.seq} head {line.head} key {line.key} appended to {path}")
    return 0


def _rotate_key(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        rotation = store.audit.rotate_key(actor(args))
        store.export_head("audit.rotate_key")
        key_file = store.audit.key_file
    print(
        f"audit key rotated: {rotation.previous_key} -> {rotation.key} ({key_file}); "
        f"previous head {rotation.previous_head}; new head {rotation.head_hash} "
        f"(record {rotation.head_seq}). Ship the new head: audit.head.log has it."
    )
    return 0
