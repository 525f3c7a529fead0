"""`lfr watchlist ...`: create, enrol, inspect, remove, delete, move and purge watchlists.

Every change is audited with the actor ($LFR_ACTOR, else the login name).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from lfr.cli.cmd_cluster import register as register_cluster
from lfr.cli.store_args import actor, add_common, fmt_time, open_store, parse_expiry, settings
from lfr.cli.watchlist_enrol import IntermixedParser, add_arguments
from lfr.cli.watchlist_enrol import run as run_add
from lfr.errors import LfrError
from lfr.store.watchlist_records import DEFAULT_TARGET_FPIR

AUTO = "auto"  # `--threshold auto`: drop a fixed threshold, use the calibrated one


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("watchlist", help="manage watchlists and enrolment")
    sub = parser.add_subparsers(
        dest="watchlist_command",
        metavar="ACTION",
        required=True,
        parser_class=IntermixedParser,
    )

    p = sub.add_parser("create", help="create an empty watchlist")
    p.add_argument("name")
    p.add_argument("--expires", help="duration (8h, 3d) or ISO date; required by policy")
    p.add_argument("--purpose", default="")
    p.add_argument("--authorised-by", default="")
    p.add_argument("--legal-basis", default="")
    p.add_argument(
        "--target-fpir",
        type=float,
        default=DEFAULT_TARGET_FPIR,
        help="false alerts per passer-by the threshold is calibrated for (default 1e-4: one "
        "in 10,000); the threshold then follows the watchlist's size",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="a fixed match threshold (cosine) instead of the calibrated one; warns with the "
        "false-alert rate it is expected to give",
    )
    _leaf(p, _create)

    p = sub.add_parser(
        "update",
        aliases=["set"],
        help="change a watchlist's metadata, target false-alert rate, threshold or expiry",
    )
    p.add_argument("name")
    p.add_argument("--expires")
    p.add_argument("--purpose")
    p.add_argument("--authorised-by")
    p.add_argument("--legal-basis")
    p.add_argument("--target-fpir", type=float, help="false alerts per passer-by, e.g. 1e-4")
    p.add_argument(
        "--threshold",
        type=_threshold_arg,
        help="a fixed threshold (cosine), or `auto` to return to the calibrated one",
    )
    _leaf(p, _update)

    p = sub.add_parser(
        "add", help="enrol photos of one identity, or of many from a list (--from-tsv)"
    )
    add_arguments(p)
    _leaf(p, run_add)

    p = sub.add_parser("list", help="list watchlists")
    p.add_argument("--json", action="store_true")
    _leaf(p, _list)

    p = sub.add_parser("show", help="show a watchlist and its identities")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    _leaf(p, _show)

    p = sub.add_parser("remove", help="remove one identity and all its templates")
    p.add_argument("name")
    p.add_argument("--id", required=True, dest="identity")
    _leaf(p, _remove)

    p = sub.add_parser("delete", help="purge a watchlist with everything of it")
    p.add_argument("name")
    _leaf(p, _delete)

    p = sub.add_parser("export", help="write a hashed (or signed) bundle")
    p.add_argument("name")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--key-file",
        type=Path,
        help="sign with HMAC-SHA256 using this key (default: the configured bundle key)",
    )
    _leaf(p, _export)

    p = sub.add_parser("import", help="create a watchlist from a bundle")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--key-file",
        type=Path,
        help="verify the bundle's signature (default: the configured bundle key, which "
        "then refuses unsigned bundles)",
    )
    p.add_argument("--name", help="import under another name")
    _leaf(p, _import)

    p = sub.add_parser("purge-expired", help="delete every expired watchlist")
    _leaf(p, _purge_expired)

    register_cluster(sub, _leaf)


def _leaf(parser: argparse.ArgumentParser, func: Any) -> None:
    add_common(parser)
    parser.set_defaults(func=func)


def _create(args: argparse.Namespace) -> int:
    expires = parse_expiry(args.expires, time.time()) if args.expires else None
    with open_store(args) as store:
        info = store.watchlists.create(
            args.name,
            actor=actor(args),
            purpose=args.purpose,
            authorised_by=args.authorised_by,
            legal_basis=args.legal_basis,
            expires_at=expires,
            threshold=args.threshold,
            target_fpir=args.target_fpir,
        )
    print(f"created watchlist {info.name} (expires {fmt_time(info.expires_at)})")
    _say_threshold(info)
    return 0


def _update(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {
        k: v
        for k, v in (
            ("purpose", args.purpose),
            ("authorised_by", args.authorised_by),
            ("legal_basis", args.legal_basis),
            ("target_fpir", args.target_fpir),
            ("threshold", args.threshold),
        )
        if v is not None
    }
    if changes.get("threshold") == AUTO:
        changes["threshold"] = None
    if args.expires:
        changes["expires_at"] = parse_expiry(args.expires, time.time())
    if not changes:
        print("nothing to change", file=sys.stderr)
        return 2
    with open_store(args) as store:
        info = store.watchlists.update(args.name, actor=actor(args), **changes)
    print(f"updated watchlist {args.name}: {', '.join(sorted(changes))}")
    _say_threshold(info)
    return 0


def _threshold_arg(text: str) -> float | str:
    if text.strip().lower() == AUTO:
        return AUTO
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a cosine score nor `auto`") from None


def _calibration(info: Any) -> Any:
    """The watchlist's effective threshold at its current size (None: cannot be computed)."""
    try:
        return info.calibration()
    except LfrError:  # no reference for the model, or a target it cannot speak to
        return None


def _say_threshold(info: Any) -> None:
    """The effective threshold after a change; a warning when it is fixed, not calibrated."""
    cal = _calibration(info)
    if cal is None:
        print(f"warning: no calibrated threshold for watchlist {info.name}", file=sys.stderr)
    elif cal.source == "calibrated":
        print(f"{info.name}: {cal.describe()}")
    else:
        print(f"warning: {info.name}: {cal.describe()}", file=sys.stderr)


def _list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        infos = store.watchlists.all()
    if args.json:
        print(json.dumps([_info_dict(i) for i in infos], indent=2))
        return 0
    now = time.time()
    for i in infos:
        state = " EXPIRED" if i.expired(now) else ""
        cal = _calibration(i)
        threshold = "-" if cal is None else f"{cal.threshold:.3f} ({cal.source})"
        print(
            f"{i.name}\t{i.identities} identities\t{i.templates} templates\t"
            f"target {i.target_fpir:g}\tthreshold {threshold}\t"
            f"expires {fmt_time(i.expires_at)}{state}\t{i.content_hash[:16]}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        info = store.watchlists.get(args.name)
        identities = store.watchlists.identities(args.name)
    if args.json:
        data = _info_dict(info)
        data["identity_list"] = [
            {
                "id": i.identity_id,
                "label": i.label,
                "category": i.category,
                "notes": i.notes,
                "templates": i.templates,
                "model_ids": list(i.model_ids),
            }
            for i in identities
        ]
        print(json.dumps(data, indent=2))
        return 0
    for key, value in _info_dict(info).items():
        print(f"{key}: {value}")
    for i in identities:
        print(f"  {i.identity_id}\t{i.label}\t{i.category}\t{i.templates} template(s)")
    return 0


def _remove(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        count = store.watchlists.remove_identity(args.name, args.identity, actor=actor(args))
        digest = store.watchlists.get(args.name).content_hash
    print(f"removed {args.identity} ({count} template(s)) from {args.name}; content hash {digest}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        counts = store.watchlists.delete(args.name, actor=actor(args))
    print(
        f"deleted watchlist {args.name} ({counts['identities']} identities, "
        f"{counts['templates']} templates)"
    )
    return 0


def _bundle_key(args: argparse.Namespace) -> bytes | None:
    from lfr.watchlist.bundle import bundle_key

    cfg = settings(args)
    return bundle_key(args.key_file, cfg.watchlists.bundle_key_file, cfg.audit.key_file)


def _export(args: argparse.Namespace) -> int:
    from lfr.watchlist.bundle import export_bundle

    key = _bundle_key(args)
    with open_store(args) as store:
        digest = export_bundle(store, args.name, args.file, actor=actor(args), key=key)
    print(
        f"exported {args.name} to {args.file} ({'signed' if key else 'hashed'}); content "
        f"hash {digest}"
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from lfr.cli.progress import Progress
    from lfr.watchlist.bundle import import_bundle

    key = _bundle_key(args)
    with open_store(args) as store, Progress("import") as bar:
        digest = import_bundle(
            store, args.file, actor=actor(args), key=key, name=args.name, progress=bar.update
        )
    print(f"imported {args.file}; content hash {digest}")
    return 0


def _purge_expired(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        purged = store.watchlists.purge_expired(actor=actor(args))
    print(
        f"purged {len(purged)} expired watchlist(s)" + (f": {', '.join(purged)}" if purged else "")
    )
    return 0


def _info_dict(i: Any) -> dict[str, Any]:
    cal = _calibration(i)
    return {
        "name": i.name,
        "purpose": i.purpose,
        "authorised_by": i.authorised_by,
        "legal_basis": i.legal_basis,
        "target_fpir": i.target_fpir,
        "fixed_threshold": i.threshold,
        **(cal.as_dict() if cal is not None else {"threshold": None}),
        "created_at": fmt_time(i.created_at),
        "expires_at": fmt_time(i.expires_at),
        "expired": i.expired(),
        "identities": i.identities,
        "templates": i.templates,
        "model_ids": list(i.model_ids),
        "content_hash": i.content_hash,
    }
